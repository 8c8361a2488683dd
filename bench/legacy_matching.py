"""The line's matcher before the learned understanding (app/matching.py at f076883, unchanged): the baseline.

Texts are read as lower-case words, with texting shorthand spelled out ("wen" -> "when").
Order of checks, first that fits wins:
1. a one-word Twilio opt-out word: silence (Twilio answers it);
2. any emergency phrase from content: the emergency redirect, never a guide piece;
3. other ways of asking to stop ("remove me"): how to stop;
4. "MORE", or a bare number (which only means something after a numbered list);
5. a keyword, with an optional number and filler ("BRING", "faq 2", "Brng.", "FAQs", "question one please");
6. a free question: every synonym phrase found scores 2 per word, every content word
   1/(number of topics sharing it); the highest score wins, ties go to the topic listed first.
"""

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

MAX_TOKENS = 80  # a 1,600-character text has at most a few hundred words; the question is in the first few
MIN_TYPO_WORD = 6  # a free-text word must be this long (after its ending is stripped) to be read past a typo
MAX_TYPO_WORD = 20  # no real word is longer; a run of 1,600 letters must not cost 1,600 look-ups


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


def tokens(text: str) -> list[str]:
    """Lower-case words and numbers, accents and apostrophes dropped ("Can't" -> "cant")."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(char for char in text if not unicodedata.combining(char))
    text = re.sub(r"['\u2018\u2019`]", "", text.casefold())
    return re.findall(r"[a-z0-9]+", text)[:MAX_TOKENS]


def stem(word: str) -> str:
    """Strip a common ending, so "scans", "covered" and "asking" meet "scan", "cover" and "ask"."""
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def deletions(word: str) -> set[str]:
    """The word with any one letter removed: two words one typo apart share one of these."""
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def contains(haystack: list[str], needle: tuple[str, ...]) -> bool:
    """Tell whether `needle` appears in `haystack` as consecutive words (a trailing * matches any ending)."""
    return any(starts_at(haystack, start, needle) for start in range(len(haystack)))


def starts_at(words: list[str], start: int, phrase: tuple[str, ...]) -> bool:
    """Tell whether `phrase` stands in `words` from `start` (a word ending in * matches any ending)."""
    window = words[start : start + len(phrase)]
    return len(window) == len(phrase) and all(
        word.startswith(said[:-1]) if said.endswith("*") else word == said
        for word, said in zip(window, phrase, strict=True)
    )


class Phrases:
    """Phrases indexed by their first word, so finding them costs a look-up per word of the text."""

    def __init__(self, items: Iterable[tuple[tuple[str, ...], str]]):
        # first word -> (phrase, value, whether any word ends in *, which needs the slower comparison)
        self.by_first: dict[str, list[tuple[tuple[str, ...], str, bool]]] = defaultdict(list)
        self.by_prefix: list[tuple[str, tuple[str, ...], str]] = []  # first word ends in *: checked on every word
        for phrase, value in items:
            if phrase and phrase[0].endswith("*"):
                self.by_prefix.append((phrase[0][:-1], phrase, value))
            elif phrase:
                self.by_first[phrase[0]].append((phrase, value, any(word.endswith("*") for word in phrase)))
        self.prefixes = tuple(prefix for prefix, _, _ in self.by_prefix)

    def found(self, words: list[str]) -> dict[tuple[str, ...], str]:
        """Every phrase that stands somewhere in `words`, with its value."""
        hits = {}
        for start, word in enumerate(words):
            for phrase, value, starred in self.by_first.get(word, ()):
                if starts_at(words, start, phrase) if starred else tuple(words[start : start + len(phrase)]) == phrase:
                    hits[phrase] = value
            if word.startswith(self.prefixes):  # one C-level check before looking at each prefix
                for prefix, phrase, value in self.by_prefix:
                    if word.startswith(prefix) and starts_at(words, start, phrase):
                        hits[phrase] = value
        return hits


class Matcher:
    """Tables built once from content; `match` does only look-ups and small loops."""

    def __init__(self, content):
        matching = content.matching
        self.shorthand = dict(matching.shorthand)
        self.number_words = dict(matching.number_words)
        self.filler = frozenset(matching.filler)
        self.opt_out = frozenset(word.upper() for word in matching.opt_out)
        self.opt_out_words = frozenset(word.lower() for word in matching.opt_out)
        self.opt_in_words = frozenset(word.lower() for word in matching.opt_in)
        self.stop_phrases = Phrases((tuple(self.read(said)), "stop_hint") for said in matching.stop_hint)
        self.more = frozenset(" ".join(self.read(said)) for said in matching.more)
        self.emergency = Phrases((self.pattern(said), "emergency") for said in matching.emergency)
        self.stopwords = frozenset(matching.stopwords)
        self.order = {topic_id: index for index, topic_id in enumerate(content.topics)}
        self.parts = {topic_id: len(parts) for topic_id, parts in content.replies.items()}

        self.keywords: dict[str, str] = {}  # whole-text word -> topic
        phrases: list[tuple[tuple[str, ...], str]] = []
        weights: dict[str, set[str]] = defaultdict(set)  # stem -> topics that use it
        for topic_id, topic in content.topics.items():
            if not topic.keyword:
                continue
            self.keywords[topic.keyword.lower()] = topic_id
            for said in topic.synonyms:
                words = tuple(self.read(said))
                if len(words) == 1:
                    self.keywords.setdefault(words[0], topic_id)
                elif words:
                    phrases.append((words, topic_id))
            for word in (topic.keyword.lower(), *(self.shorthand.get(word, word) for word in topic.words)):
                if not word[-1].isdigit():
                    weights[stem(word)].add(topic_id)
        self.phrases = Phrases(phrases)
        self.weights = {word: {t: 1 / len(owners) for t in owners} for word, owners in weights.items()}
        self.lists = self.numbered_lists()
        self.typos_of_keyword = self.typo_index(self.keywords)
        # Free-text typos only for longer words: at five letters "think" is one letter from "thank".
        self.typos_of_word = self.typo_index(word for word in self.weights if len(word) >= MIN_TYPO_WORD)

    def read(self, text: str) -> list[str]:
        """A text as the matcher reads it: its words, with texting shorthand spelled out."""
        return [self.shorthand.get(word, word) for word in tokens(text)]

    def pattern(self, said: str) -> tuple[str, ...]:
        """An emergency phrase as words; a word ending in * ("suicid*", "end* my life") matches any ending."""
        words = []
        for part in said.split():
            read = self.read(part)
            words += read[:-1] + [f"{read[-1]}*" if part.endswith("*") else read[-1]] if read else []
        return tuple(words)

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

    def has_numbered(self, topic_id: str) -> bool:
        """Tell whether a topic is a numbered list (FAQ, with FAQ1, FAQ2...)."""
        return topic_id in self.lists

    def children(self, list_topic: str) -> set[str]:
        """The topics a numbered list leads to."""
        return set(self.lists.get(list_topic, {}).values())

    def is_emergency(self, words: list[str]) -> bool:
        """Tell whether the words contain any emergency phrase."""
        return bool(self.emergency.found(words))

    def score(self, words: list[str]) -> dict[str, float]:
        """Score each topic for a free question; see the module docstring."""
        scores: dict[str, float] = defaultdict(float)
        for phrase, topic_id in self.phrases.found(words).items():
            scores[topic_id] += 2 * len(phrase)
        for word in words:
            if word in self.stopwords:
                continue
            root = stem(word)
            if root in self.weights:
                hits = self.weights[root]
            elif MIN_TYPO_WORD <= len(root) <= MAX_TYPO_WORD and (near := self.near(root, self.typos_of_word)):
                hits = {t: w * 0.8 for hit in near for t, w in self.weights[hit].items()}
            else:
                continue
            for topic_id, weight in hits.items():
                scores[topic_id] += weight
        return scores

    def match(self, text: str) -> Match:
        """Read one text; see the module docstring for the order of checks."""
        if text.strip().upper() in self.opt_out:
            return Match(Kind.SILENT)
        words = self.read(text)
        if not words:
            return Match(Kind.REPLY, "not_understood" if text.strip() else "menu")
        if self.is_emergency(words):
            return Match(Kind.REPLY, "emergency")
        if (len(words) == 1 and words[0] in self.opt_out_words) or self.stop_phrases.found(words):
            return Match(Kind.REPLY, "stop_hint")  # "Stop." or "remove me" is not an opt-out: say how
        # The words that matter in a short text: "faq 1 please" is "faq 1", "question one" is "question 1".
        core = [self.number_words.get(word, word) for word in words if word not in self.filler] or words
        if len(core) == 1 and core[0] in self.opt_in_words:
            return Match(Kind.REPLY, "menu")
        if " ".join(words) in self.more or " ".join(core) in self.more:
            return Match(Kind.MORE)
        if len(core) == 1 and core[0].isdigit():
            return Match(Kind.NUMBER, part=int(core[0][:3]))
        if len(core) <= 2 and (found := self.keyword_form(core)):
            return found
        scores = self.score(words)
        if not scores:
            return Match(Kind.REPLY, "not_understood")
        best = max(scores, key=lambda topic_id: (scores[topic_id], -self.order[topic_id]))
        return Match(Kind.REPLY, best)
