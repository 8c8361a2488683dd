"""Find what a patient asked for in a text (or a caller in speech): rules first, then the learned model.

Texts are read as lower-case words, with texting shorthand spelled out ("wen" -> "when").
Order of checks, first that fits wins:
1. a one-word Twilio opt-out word: silence (Twilio answers it);
2. the crisis check: an emergency phrase from content, read past typos and word endings: the
   emergency redirect, never a guide piece;
3. other ways of asking to stop ("remove me", "STOP please"): how to stop;
4. "MORE", or a bare number (which only means something after a numbered list);
5. a keyword, with an optional number and filler ("BRING", "faq 2", "Brng.", "FAQs", "question one please"),
   or the whole text one of a topic's synonyms;
6. a text of single letters and numbers, or of one stopword ("Y", "no"): "didn't understand";
7. the learned model (app/understanding): its emergency class redirects from a low probability; else its
   label if confident enough, with a second question as `also`; else "didn't understand".
"""

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum

from app.content import Locale
from app.text import Stemmer, deletions, tokens
from app.understanding.crisis import CrisisCheck, pattern
from app.understanding.reader import CRISIS_THRESHOLD, Reader, Verdict, build, frozen

__all__ = ["Kind", "Match", "Matcher", "tokens"]

MAX_TYPO_WORD = 20  # no real keyword is longer; a run of 1,600 letters must not cost 1,600 look-ups
CANT_ADVISE = "cant_advise"  # the reply to a question about the patient's own health


class Kind(Enum):
    """What kind of answer a text asks for."""

    SILENT = "silent"  # an opt-out word: Twilio replies, so must we not
    REPLY = "reply"  # a reply by name: a topic, or one of the line's own replies
    MORE = "more"  # the next part of the last long piece
    NUMBER = "number"  # a bare number, meaningful only after a numbered list


@dataclass(frozen=True)
class Match:
    """The outcome of reading one text."""

    kind: Kind
    reply: str = ""
    part: int = 1
    also: str | None = None  # a second question in the same text: a topic id with a keyword, to point to


@dataclass(frozen=True)
class Decision:
    """A match and why: the rule that decided it, or the model's verdict (for `flask explain` and the bench)."""

    match: Match
    rule: str  # "opt-out", "empty", "crisis phrase", "stop", "opt-in", "more", "number", "keyword", "synonym",
    # "too few words", "no model", "model"
    detail: str = ""  # the phrase or keyword that fired
    verdict: Verdict | None = field(default=None)  # set when the model was asked


class Phrases:
    """Phrases indexed by their first word, so finding them costs a look-up per word of the text."""

    # Their words come through tokens(), which keeps no "*": the "any ending" of emergency phrases is the
    # crisis check's own (app/understanding/crisis.py), so an exact comparison is all a phrase here needs.
    def __init__(self, items: Iterable[tuple[tuple[str, ...], str]]):
        self.by_first: dict[str, list[tuple[tuple[str, ...], str]]] = defaultdict(list)
        for phrase, value in items:
            if phrase:
                self.by_first[phrase[0]].append((phrase, value))

    def found(self, words: list[str]) -> dict[tuple[str, ...], str]:
        """Every phrase that stands somewhere in `words`, with its value."""
        hits = {}
        for start, word in enumerate(words):
            for phrase, value in self.by_first.get(word, ()):
                if tuple(words[start : start + len(phrase)]) == phrase:
                    hits[phrase] = value
        return hits


class Matcher:
    """Tables and the model built once from content; `match` does only look-ups, small loops and one model call."""

    def __init__(self, content: Locale, parts: Mapping[str, int], examples: Mapping[str, Sequence[str]] | None = None):
        matching = content.matching
        self.shorthand = dict(matching.shorthand)
        self.number_words = dict(matching.number_words)
        self.filler = frozenset(matching.filler)
        self.stopwords = frozenset(word for said in matching.stopwords for word in tokens(said))
        self.opt_out = frozenset(word.upper() for word in matching.opt_out)
        self.opt_in_words = frozenset(word.lower() for word in matching.opt_in)
        stop = [tuple(self.read(said)) for said in matching.stop_hint]
        # A one-word way of asking to stop ("parar", "stopio") is that only as the whole text: inside a
        # question ("should I stop taking my statins") it is about the patient's treatment, not the texts.
        self.stop_words = frozenset(word.lower() for word in matching.opt_out) | {p[0] for p in stop if len(p) == 1}
        self.stop_phrases = Phrases((phrase, "stop_hint") for phrase in stop if len(phrase) > 1)
        self.more = frozenset(" ".join(self.read(said)) for said in matching.more)
        self.parts = dict(parts)  # reply id -> how many SMS parts it has ("bring 2")
        stemmer = content.language.stemmer
        self.stem = Stemmer(stemmer)
        self.crisis = CrisisCheck((pattern(said, self.read) for said in matching.emergency), self.stem)
        self.cant_advise = CANT_ADVISE

        self.keywords: dict[str, str] = {}  # whole-text word -> topic
        self.sayings: dict[str, str] = {}  # whole-text synonym phrase -> topic
        learned = {label: list(texts) for label, texts in (examples or content.examples).items()}
        for topic_id, topic in content.topics.items():
            if topic.synonyms:
                learned.setdefault(topic_id, []).extend(topic.synonyms)  # an editor's phrase is an example too
            if not topic.keyword:
                continue
            self.keywords[topic.keyword.lower()] = topic_id
            for said in topic.synonyms:
                words = self.read(said)
                if len(words) == 1:
                    self.keywords.setdefault(words[0], topic_id)
                elif words:
                    self.sayings.setdefault(" ".join(words), topic_id)
        # Nothing to learn from (a language with neither examples nor synonyms): free text is not understood.
        self.reader: Reader | None = (
            build(frozen(learned), tuple(sorted(self.shorthand.items())), stemmer) if len(learned) >= 2 else None
        )
        self.lists = self.numbered_lists()
        self.typos_of_keyword = self.typo_index(self.keywords)
        # Content's own words that no emergency phrase can use, asked of the crisis check itself: a text
        # made only of them ("FAQ", "what should I bring") cannot hold a crisis, so it skips the check.
        vocabulary = {word for texts in learned.values() for said in texts for word in self.read(said)}
        vocabulary |= set(self.keywords) | set(self.filler) | set(self.number_words) | {str(n) for n in range(100)}
        self.calm = frozenset(word for word in vocabulary if not self.crisis.keys_of(word))
        self.own_stems = frozenset(self.stem.words(list(vocabulary)))

    def telling_words(self, text: str) -> list[str]:
        """The text's words that can tell one language from another, shorthand spelled out."""
        # Single letters ("a", "y", "x" for "por") and numbers are every language's: they tell nothing.
        return [self.shorthand.get(word, word) for word in tokens(text) if len(word) > 1 and not word.isdigit()]

    def share(self, text: str) -> float:
        """How much of a text is in this language: the share of its telling words whose stems content uses."""
        words = self.telling_words(text)
        return sum(stem in self.own_stems for stem in self.stem.words(words)) / len(words) if words else 0.0

    def own_words(self, text: str) -> set[str]:
        """The text's telling words whose stems this language's content uses."""
        words = self.telling_words(text)
        return {word for word, stem in zip(words, self.stem.words(words), strict=True) if stem in self.own_stems}

    def crisis_phrase(self, text: str) -> tuple[str, ...] | None:
        """The crisis phrase a text holds, by this language's phrases alone: no rules, no model."""
        words = self.read(text)
        return None if self.calm.issuperset(words) else self.crisis.found(words)

    def read(self, text: str) -> list[str]:
        """A text as the matcher reads it: its words, with texting shorthand spelled out."""
        return [self.shorthand.get(word, word) for word in tokens(text)]

    @staticmethod
    def typo_index(words: Iterable[str]) -> dict[str, set[str]]:
        """Map each word, and each one-letter deletion of it, to the words it came from."""
        index: dict[str, set[str]] = defaultdict(set)
        for word in words:
            for variant in {word} | deletions(word):
                index[variant].add(word)
        return dict(index)

    @staticmethod
    def near(word: str, index: dict[str, set[str]]) -> set[str]:
        """Words in `index` one typo (a letter missing, extra, wrong or swapped) from `word`."""
        found: set[str] = set()
        for variant in {word} | deletions(word):
            found |= index.get(variant, set())
        return found

    def keyword(self, word: str) -> str | None:
        """The topic a single texted word names, allowing a plural and one typo."""
        for candidate in (word, word[:-1] if word.endswith("s") else None):
            if candidate in self.keywords:
                return self.keywords[candidate]
        if 4 <= len(word) <= MAX_TYPO_WORD:
            topics = {self.keywords[hit] for hit in self.near(word, self.typos_of_keyword)}
        else:  # short words: only swapped letters ("aks", "fqa"), else "has" would mean ASK
            topics = {t for k, t in self.keywords.items() if len(k) == len(word) and sorted(k) == sorted(word)}
        return topics.pop() if len(topics) == 1 else None

    def keyword_form(self, words: list[str]) -> Match | None:
        """A text that is just a keyword, maybe with a number: "FAQ", "faq 2", "bring2", "1 question"."""
        letters = "".join(word for word in words if not word.isdigit())
        digits = [word for word in words if word.isdigit()]
        form = re.fullmatch(r"([a-z]+)([0-9]{0,2})", letters + "".join(digits)) if len(digits) <= 1 else None
        if not form:
            return None
        word, number = form.groups()
        if number and f"{word}{number}" in self.keywords:
            return Match(Kind.REPLY, self.keywords[f"{word}{number}"])
        topic = self.keyword(word)
        if topic is None:
            return None
        if number and (child := self.numbered(topic, int(number))):
            return Match(Kind.REPLY, child)  # "question 2", "faqs 2"
        if number and 1 <= int(number) <= self.parts.get(topic, 1):
            return Match(Kind.REPLY, topic, int(number))  # "bring 2": that part
        return Match(Kind.REPLY, topic)  # "FAQ 7", "bring 9": the piece from its start

    def numbered_lists(self) -> dict[str, dict[int, str]]:
        """Numbered lists by topic: FAQ -> {1: FAQ1's topic, 2: ...}, from keywords ending in a number."""
        lists: dict[str, dict[int, str]] = defaultdict(dict)
        for keyword, topic_id in self.keywords.items():
            form = re.fullmatch(r"([a-z]+)([0-9]+)", keyword)
            if form and form.group(1) in self.keywords:
                lists[self.keywords[form.group(1)]][int(form.group(2))] = topic_id
        return dict(lists)

    def numbered(self, list_topic: str, number: int) -> str | None:
        """The topic a bare number picks from a numbered list ("2" after FAQ is FAQ2)."""
        return self.lists.get(list_topic, {}).get(number)

    def is_keyword(self, said: str) -> bool:
        """Whether a keyword form ("help", "faq 2") names its keyword exactly, with no typo read past."""
        letters = "".join(char for char in said if char.isalpha())
        return letters in self.keywords or letters.removesuffix("s") in self.keywords

    def only_list(self) -> str | None:
        """The one numbered list, where content has exactly one."""
        return next(iter(self.lists)) if len(self.lists) == 1 else None

    def has_numbered(self, topic_id: str) -> bool:
        """Tell whether a topic is a numbered list (FAQ, with FAQ1, FAQ2...)."""
        return topic_id in self.lists

    def children(self, list_topic: str) -> set[str]:
        """The topics a numbered list leads to."""
        return set(self.lists.get(list_topic, {}).values())

    def match(self, text: str) -> Match:
        """Read one text; see the module docstring for the order of checks."""
        return self.decide(text).match

    def decide(self, text: str) -> Decision:
        """Read one text and say which rule, or what the model, decided."""
        if text.strip().upper() in self.opt_out:
            return Decision(Match(Kind.SILENT), "opt-out")
        words = self.read(text)
        if not words:
            return Decision(Match(Kind.REPLY, "not_understood" if text.strip() else "menu"), "empty")
        # The words that matter in a short text: "faq 1 please" is "faq 1", "question one" is "question 1".
        core = [self.number_words.get(word, word) for word in words if word not in self.filler] or words
        calm = self.calm.issuperset(words)  # then the crisis check could find nothing: it is skipped
        # A text that is exactly a keyword ("FAQ", "bring 2") says nothing else: answered first (read past
        # a typo, a keyword waits for the crisis check and the rules before it).
        if calm and len(core) <= 2 and (found := self.keyword_form(core)) and self.is_keyword(" ".join(core)):
            return Decision(found, "keyword", " ".join(core))
        phrase = None if calm else self.crisis.found(words)
        if phrase:  # never overruled: "chest pains, what should i bring" is a crisis
            return Decision(Match(Kind.REPLY, "emergency"), "crisis phrase", " ".join(phrase))
        if topic := self.sayings.get(" ".join(words)):  # the whole text one of a topic's synonyms
            return Decision(Match(Kind.REPLY, topic), "synonym", " ".join(words))
        if (len(core) == 1 and core[0] in self.stop_words) or self.stop_phrases.found(words):
            return Decision(Match(Kind.REPLY, "stop_hint"), "stop")  # "Stop." or "STOP please" is not an opt-out
        if len(core) == 1 and core[0] in self.opt_in_words:
            return Decision(Match(Kind.REPLY, "menu"), "opt-in")
        if " ".join(words) in self.more or " ".join(core) in self.more:
            return Decision(Match(Kind.MORE), "more")
        if len(core) == 1 and core[0].isdigit():
            return Decision(Match(Kind.NUMBER, part=int(core[0][:3])), "number")
        if len(core) <= 2 and (found := self.keyword_form(core)):
            return Decision(found, "keyword", " ".join(core))
        letters = all(len(word) == 1 or word.isdigit() for word in core)  # "F A Q", "Y", "a b c", "1 2 3"
        if letters and (found := self.keyword_form(["".join(core)])):
            return Decision(found, "keyword", " ".join(core))  # a keyword spelt out
        if letters or (len(core) == 1 and core[0] in self.stopwords):
            # Nothing a model can read, though it guessed ("Y" was a Spanish emergency, "no" English FAQ2).
            return Decision(Match(Kind.REPLY, "not_understood"), "too few words", " ".join(core))
        if self.reader is None:
            return Decision(Match(Kind.REPLY, "not_understood"), "no model")
        verdict = self.reader.read(text)
        if verdict.emergency >= CRISIS_THRESHOLD:
            return Decision(Match(Kind.REPLY, "emergency"), "model", verdict=verdict)
        if verdict.label is None:
            return Decision(Match(Kind.REPLY, "not_understood"), "model", verdict=verdict)
        reply = self.cant_advise if verdict.label == "cant_advise" else verdict.label
        return Decision(Match(Kind.REPLY, reply, also=verdict.also), "model", verdict=verdict)
