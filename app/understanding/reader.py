"""Decide what a free text asks for: the learned model over the whole text and over each of its clauses.

A courtesy (hello, thank you, a signature) only wins when nothing else in the text is a question; a
text with two questions gets the first one's label, and the second's as `also`.
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from app.text import MAX_CHARS, Stemmer
from app.understanding.model import Classifier

THRESHOLD = 0.35  # below this confidence the line says it didn't understand (measured: bench/understanding.py)
CLAUSE_THRESHOLD = 0.45  # a clause must be this sure to count as a question of its own
CRISIS_THRESHOLD = 0.40  # the model's emergency class redirects from here: recall first (measured)
MIN_CLAUSE_WORDS = 3  # a clause of one or two words ("Brenda") has flat probabilities: it decides nothing
COURTESIES = frozenset({"thanks", "menu"})  # labels that wrap a question rather than ask one
NO_POINTER = COURTESIES | {"emergency", "cant_advise", "help"}  # never offered as "also": no keyword to text
MAX_CLAUSES = 8  # the questions of a text are in its first few sentences
CLAUSE_BREAK = re.compile(r"[.!?;,:\n\u3002\u060c\u061f]+")  # sentence and clause punctuation, several scripts


@dataclass(frozen=True)
class Verdict:
    """What the model made of a text: the label, its confidence, a second question, and the scores behind it."""

    label: str | None  # None: not understood
    confidence: float
    also: str | None = None
    scores: Mapping[str, float] = field(default_factory=dict)  # the whole text's, best first
    emergency: float = 0.0  # the emergency class: the whole text's probability, or a clause's where it leads
    via: str = "model"  # "model", or "clause" when a clause decided it


class Reader:
    """The learned model with the rules for reading its output."""

    def __init__(self, classifier: Classifier):
        self.classifier = classifier
        self.labels = classifier.labels

    def read(self, text: str) -> Verdict:
        """Label one free text (see the module docstring)."""
        text = text[:MAX_CHARS]
        clauses = [part for part in CLAUSE_BREAK.split(text) if len(part.split()) >= MIN_CLAUSE_WORDS][:MAX_CLAUSES]
        rows = self.classifier.probabilities([text, *clauses] if clauses != [text] else [text])
        ranked = [dict(sorted(zip(self.labels, row.tolist(), strict=True), key=lambda kv: -kv[1])) for row in rows]
        whole = ranked[0]
        # A clause alone is short and its probabilities flat: it counts for a crisis only where emergency leads.
        emergency = max(
            [whole.get("emergency", 0.0)] + [s["emergency"] for s in ranked[1:] if next(iter(s)) == "emergency"]
        )
        best, confidence = next(iter(whole.items()))
        questions: list[tuple[str, float]] = []  # confident, non-courtesy clause labels in text order
        for scores in ranked[1:]:
            label, sure = next(iter(scores.items()))
            if sure >= CLAUSE_THRESHOLD and label not in COURTESIES and label not in (q for q, _ in questions):
                questions.append((label, sure))
        via = "model"
        if best in COURTESIES and questions:
            (best, confidence), via = questions[0], "clause"  # "..., thank you, Margaret": the question wins
        elif len(questions) >= 2 and best in (q for q, _ in questions):
            (best, confidence), via = questions[0], "clause"  # two questions: the first one first
        if confidence < THRESHOLD:
            return Verdict(None, confidence, None, whole, emergency, via)
        also = next((q for q, _ in questions if q != best and q not in NO_POINTER), None)
        return Verdict(best, confidence, None if best in NO_POINTER else also, whole, emergency, via)


@lru_cache(maxsize=8)
def build(
    examples: tuple[tuple[str, tuple[str, ...]], ...],
    shorthand: tuple[tuple[str, str], ...],
    stemmer: str,
) -> Reader:
    """A reader learned from examples; cached, since the same content gives the same model (tests build many apps)."""
    from app.text import tokens

    spelled = dict(shorthand)

    def read(text: str) -> list[str]:
        return [spelled.get(word, word) for word in tokens(text)]

    return Reader(Classifier(dict(examples), read, Stemmer(stemmer)))


def frozen(examples: Mapping[str, Sequence[str]]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Examples as a hashable value, for the cache."""
    return tuple((label, tuple(texts)) for label, texts in examples.items())
