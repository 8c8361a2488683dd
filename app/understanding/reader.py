"""Decide what a free text asks for: the learned model over the whole text and over each of its clauses.

A courtesy (hello, thank you, a signature) only wins when nothing else in the text is a question; a
text with two questions gets the first one's label, and the second's as `also`. A clause ends at
punctuation, or before a word that begins questions in the language's examples ("... and how long is
the wait"): learned per language, so no list of English question words is written here. Clauses of
sentences ending in "?" come first: "My doctor says I need an operation. How do I ask?" asks how to ask.
"""

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from app.text import MAX_CHARS, MAX_TOKENS, Stemmer
from app.understanding.model import Classifier

THRESHOLD = 0.38  # below this confidence: "didn't understand" (measured; 0.35 reads 1% more of the eval set right,
# but then "text it to me please", a spoken command, reads as HELP on the phone)
CLAUSE_THRESHOLD = 0.45  # a clause must be this sure to count as a question of its own
ALSO_THRESHOLD = 0.75  # a clause cut before a question word ("... and how long") must be surer: it is a guess
CRISIS_THRESHOLD = 0.40  # the model's emergency class redirects from here: recall first (measured)
MIN_CLAUSE_WORDS = 3  # a clause of one or two words ("Brenda") has flat probabilities: it decides nothing
COURTESIES = frozenset({"thanks", "menu"})  # labels that wrap a question rather than ask one
NO_POINTER = COURTESIES | {"emergency", "cant_advise", "help"}  # never offered as "also": no keyword to text
MAX_CLAUSES = 8  # the questions of a text are in its first few sentences
SENTENCE = re.compile(r"[^.!?\n\u3002\u061f]+[.!?\n\u3002\u061f]*")  # a sentence and its end, several scripts
QUESTION_MARKS = ("?", "\u061f")
CLAUSE_BREAK = re.compile(r"[;,:\u060c]+")
MIN_OPENINGS = 3  # a word opens questions when it starts at least this many examples...
OPENING_SHARE = 0.4  # ...and at least this share of the examples it appears in


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

    def __init__(self, classifier: Classifier, openers: frozenset[str] = frozenset()):
        self.classifier = classifier
        self.labels = classifier.labels
        self.openers = openers

    def clauses(self, text: str, at_openers: bool) -> list[str]:
        """The text's clauses of MIN_CLAUSE_WORDS words or more, those of questions first, in bounded number."""
        found: list[tuple[bool, int, str]] = []
        words = 0
        for sentence in SENTENCE.findall(text):
            asks = sentence.rstrip().endswith(QUESTION_MARKS)
            for part in CLAUSE_BREAK.split(sentence):
                for clause in self.split_at_openers(part.split()) if at_openers else [part.split()]:
                    if len(clause) >= MIN_CLAUSE_WORDS and len(found) < MAX_CLAUSES and words < MAX_TOKENS:
                        found.append((not asks, len(found), " ".join(clause)))
                    words += len(clause)
        return [clause for _, _, clause in sorted(found)]  # questions first, each kind in the text's order

    def split_at_openers(self, words: list[str]) -> list[list[str]]:
        """Split a clause before each word that opens questions, where both sides keep enough words."""
        pieces, start = [], 0
        for index, word in enumerate(words):
            enough = index - start >= MIN_CLAUSE_WORDS and len(words) - index >= MIN_CLAUSE_WORDS
            if enough and word.casefold() in self.openers:
                pieces.append(words[start:index])
                start = index
        return [*pieces, words[start:]]

    def read(self, text: str) -> Verdict:
        """Label one free text (see the module docstring)."""
        text = text[:MAX_CHARS]
        clauses = self.clauses(text, at_openers=False)  # punctuation: what decides the answer
        finer = [clause for clause in self.clauses(text, at_openers=True) if clause not in clauses]  # for `also`
        rows = self.classifier.probabilities([text, *clauses, *finer] if clauses + finer != [text] else [text])
        ranked = [dict(sorted(zip(self.labels, row.tolist(), strict=True), key=lambda kv: -kv[1])) for row in rows]
        whole, parts, extra = ranked[0], ranked[1 : len(clauses) + 1], ranked[len(clauses) + 1 :]
        # A clause alone is short and its probabilities flat: it counts for a crisis only where emergency leads.
        emergency = max([whole.get("emergency", 0.0)] + [s["emergency"] for s in parts if next(iter(s)) == "emergency"])
        best, confidence = next(iter(whole.items()))
        questions = confident(parts)  # confident, non-courtesy clause labels, questions first
        via = "model"
        if best in COURTESIES and questions:
            (best, confidence), via = questions[0], "clause"  # "..., thank you, Margaret": the question wins
        elif len(questions) >= 2 and best in (q for q, _ in questions):
            (best, confidence), via = questions[0], "clause"  # two questions: the first one first
        if confidence < THRESHOLD:
            return Verdict(None, confidence, None, whole, emergency, via)
        others = questions + confident(extra, ALSO_THRESHOLD)
        also = next((q for q, _ in others if q != best and q not in NO_POINTER), None)
        return Verdict(best, confidence, None if best in NO_POINTER else also, whole, emergency, via)


def confident(ranked: list[dict[str, float]], threshold: float = CLAUSE_THRESHOLD) -> list[tuple[str, float]]:
    """The distinct labels that clauses are sure of, courtesies left out, in the clauses' order."""
    found: list[tuple[str, float]] = []
    for scores in ranked:
        label, sure = next(iter(scores.items()))
        if sure >= threshold and label not in COURTESIES and label not in (q for q, _ in found):
            found.append((label, sure))
    return found


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

    return Reader(Classifier(dict(examples), read, Stemmer(stemmer)), openers(dict(examples), read))


def openers(examples: Mapping[str, Sequence[str]], read) -> frozenset[str]:
    """Words that begin questions in this language's examples ("what", "how"; "qué", "cómo"; "sut", "oes")."""
    first: Counter[str] = Counter()
    anywhere: Counter[str] = Counter()
    for label, texts in examples.items():
        if label in COURTESIES:
            continue
        for text in texts:
            words = read(text)
            first.update(words[:1])
            anywhere.update(words)
    return frozenset(w for w, n in first.items() if n >= MIN_OPENINGS and n / anywhere[w] >= OPENING_SHARE)


def frozen(examples: Mapping[str, Sequence[str]]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Examples as a hashable value, for the cache."""
    return tuple((label, tuple(texts)) for label, texts in examples.items())
