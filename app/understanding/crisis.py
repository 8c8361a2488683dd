"""The crisis check, run before anything else: content's emergency phrases, read past typos and word endings.

It errs on the side of safety. A phrase's word meets a text's word when their stems are equal, when
they are one typo apart (stems of five letters or more: "sucidal" is "suicidal"), or, for a word
ending in * in content ("suicid*"), when the text's word begins with it, allowing one typo in a
prefix of five letters or more, the first letter too (how Welsh mutates: "gorddos" -> "orddos"). The
learned model's emergency class is the second net (see matching).
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping

from app.text import Stemmer, deletions, distance, tokens, typo_allowance

MIN_FUZZY_PREFIX = 5  # "suic*" must be spelt as written; "suicid*" may carry one typo


class CrisisCheck:
    """Emergency phrases indexed by word, so a text costs a few look-ups per distinct word."""

    def __init__(self, phrases: Iterable[tuple[str, ...]], stemmer: Stemmer):
        self.stemmer = stemmer
        self.phrases: dict[str, list[tuple[str, ...]]] = defaultdict(list)  # first word's key -> phrases
        # Prefixes ending in * ("suicid"), by first letter and, for those long enough to carry a typo, by
        # second letter too: a first letter missing, wrong or added is also how Welsh mutates a word
        # ("gorddos" -> "orddos", "meddyg" -> "feddyg").
        self.prefixes: dict[str, set[str]] = defaultdict(set)
        self.seconds: dict[str, set[str]] = defaultdict(set)
        stems: set[str] = set()
        for phrase in phrases:
            if not phrase:
                continue
            keys = tuple(self.key(word) for word in phrase)
            self.phrases[keys[0]].append(keys)
            for key in keys:
                if key.endswith("*"):
                    self.prefixes[key[0]].add(key[:-1])
                    if len(key) - 1 >= MIN_FUZZY_PREFIX:
                        self.seconds[key[1]].add(key[:-1])
                else:
                    stems.add(key)
        self.stems = frozenset(stems)
        self.typos: dict[str, set[str]] = defaultdict(set)  # a stem and its one-letter deletions -> the stem
        for word in stems:
            if typo_allowance(word):
                for variant in {word} | deletions(word):
                    self.typos[variant].add(word)

    def key(self, word: str) -> str:
        """How a phrase's word is compared: a prefix stays as written ("suicid*"), a word by its stem."""
        return word if word.endswith("*") else self.stemmer(word)

    def keys_of(self, word: str) -> frozenset[str]:
        """Every phrase word that a text's word can stand for."""
        root = self.stemmer(word)
        found = {root} & self.stems
        if typo_allowance(root):
            for variant in {root} | deletions(root):
                found |= {stem for stem in self.typos.get(variant, ()) if distance(stem, root, 1) <= 1}
        candidates = self.prefixes.get(word[:1], set()) | self.seconds.get(word[:1], set())
        if len(word) > 1:
            candidates = candidates | self.seconds.get(word[1], set()) | self.prefixes.get(word[1], set())
        for prefix in candidates:
            if word.startswith(prefix) or (
                len(prefix) >= MIN_FUZZY_PREFIX
                and min(distance(word[:size], prefix, 1) for size in (len(prefix) - 1, len(prefix), len(prefix) + 1))
                <= 1
            ):
                found.add(f"{prefix}*")
        return frozenset(found)

    def found(self, words: list[str]) -> tuple[str, ...] | None:
        """The first emergency phrase standing in `words` (as its keys), or None."""
        known: dict[str, frozenset[str]] = {}
        for word in words:  # a long text repeats its words: each is looked at once
            if word not in known:
                known[word] = self.keys_of(word)
        keys = [known[word] for word in words]
        for start, here in enumerate(keys):
            for first in here:
                for phrase in self.phrases.get(first, ()):
                    window = keys[start : start + len(phrase)]
                    if len(window) == len(phrase) and all(key in got for key, got in zip(phrase, window, strict=True)):
                        return phrase
        return None


def pattern(said: str, read: Callable[[str], list[str]]) -> tuple[str, ...]:
    """An emergency phrase as words; a word ending in * ("suicid*", "end* my life") matches any ending."""
    words = []
    for part in said.split():
        spelled = read(part)
        words += spelled[:-1] + [f"{spelled[-1]}*" if part.endswith("*") else spelled[-1]] if spelled else []
    return tuple(words)


class PhrasesOnly:
    """A language pack no locale serves, as its crisis phrases alone: a crisis texted or said in it is read."""

    def __init__(self, phrases: Iterable[str], shorthand: Mapping[str, str], stemmer: Stemmer):
        self.shorthand = dict(shorthand)
        self.crisis = CrisisCheck((pattern(said, self.read) for said in phrases), stemmer)

    def read(self, text: str) -> list[str]:
        """A text's words, with the pack's texting shorthand spelled out."""
        return [self.shorthand.get(word, word) for word in tokens(text)]

    def crisis_phrase(self, text: str) -> tuple[str, ...] | None:
        """The crisis phrase a text holds, or None."""
        return self.crisis.found(self.read(text))
