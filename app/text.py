"""Text handling for any language: words, accent folding, stems and typo distance.

Language rules come from libraries (snowballstemmer, rapidfuzz), not from English-only code. The
language is a parameter: a snowball stemmer name from the language's `language.yaml` ("english",
"spanish"); "" means no stemmer (Welsh has none: its words are compared whole, and the learned model
reads character n-grams, which give a mutated word such as "feddyg" most of the credit of "meddyg").
Nothing here imports the content loader or the matcher.
"""

import re
import threading
import unicodedata
from functools import cache, lru_cache

import snowballstemmer
from rapidfuzz.distance import OSA

MAX_TOKENS = 80  # a 1,600-character text has a few hundred words; what it asks is in the first few dozen
MAX_WORD = 30  # no word of any served language is longer; 64 KB of one letter must stay cheap to read
APOSTROPHES = re.compile("['`\u2018\u2019\u02bc\u00b4]")  # dropped, so "can't" and "cant" are one word

WORD = re.compile(r"[^\W_]+")  # runs of letters and digits; marks between them are joined on below
MAX_CHARS = 2000  # Twilio delivers at most 1,600 characters; anything longer is not a patient's text
MARKS = "".join(chr(code) for code in range(0x300, 0x2000) if unicodedata.category(chr(code))[0] == "M")
LATIN_END = 0x024F  # marks are folded only on Latin letters: in other scripts a mark is part of the letter


def fold(text: str) -> str:
    """Drop accents from Latin letters ("está" -> "esta", "ŵyr" -> "wyr"); other scripts unchanged."""
    decomposed = unicodedata.normalize("NFKD", text)
    kept: list[str] = []
    for char in decomposed:
        if unicodedata.combining(char) and kept and ord(kept[-1]) <= LATIN_END:
            continue
        kept.append(char)
    return unicodedata.normalize("NFC", "".join(kept))


def tokens(text: str, limit: int = MAX_TOKENS) -> list[str]:
    """Lower-case words and numbers, accents and apostrophes dropped ("Can't" -> "cant"), at most `limit`."""
    text = APOSTROPHES.sub("", fold(text[:MAX_CHARS]).casefold())
    found: list[str] = []
    end = 0
    for match in WORD.finditer(text):
        gap = text[end : match.start()]
        marks = len(gap) - len(gap.lstrip(MARKS)) if found and gap else 0
        if marks and marks == len(gap):  # a vowel sign or virama inside a word ("नमस्ते"): one word
            found[-1] += gap + match.group()
        else:
            if marks:  # a word ending in a mark keeps it
                found[-1] += gap[:marks]
            if len(found) == limit:
                break
            found.append(match.group())
        end = match.end()
    return [word[:MAX_WORD] for word in found]


@cache  # one per language, shared by every matcher and model of the process
def stem_function(language: str):
    """A snowball algorithm's stem function: cached, and safe to call from several threads at once."""
    algorithm = snowballstemmer.stemmer(language)
    lock = threading.Lock()  # a snowball stemmer keeps the word it is working on in itself: one at a time

    def stem(word: str) -> str:
        with lock:
            return algorithm.stemWord(word)

    # A patient's words repeat across texts; the cache is bounded so odd input cannot grow it.
    return lru_cache(maxsize=8192)(stem)


class Stemmer:
    """One language's stemmer (a snowball algorithm name, or "" for none), with a cache of words seen."""

    def __init__(self, language: str):
        if language and language not in snowballstemmer.algorithms():
            known = ", ".join(snowballstemmer.algorithms())
            raise ValueError(f"no snowball stemmer called {language!r} (have: {known})")
        self.language = language
        self.stem = stem_function(language) if language else str

    def __call__(self, word: str) -> str:
        """The word's stem ("asking" -> "ask", "preguntas" -> "pregunt"); the word itself without a stemmer."""
        return self.stem(word)

    def words(self, words: list[str]) -> list[str]:
        """Each word's stem."""
        return [self.stem(word) for word in words]


def distance(first: str, second: str, limit: int | None = None) -> int:
    """Typos between two words: letters missing, extra, wrong or swapped (optimal string alignment).

    With `limit`, any distance above it is reported as limit + 1 (cheaper for long words).
    """
    return OSA.distance(first, second, score_cutoff=limit)


def deletions(word: str) -> set[str]:
    """The word with any one letter removed: two words one typo apart share the word or one of these."""
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def typo_allowance(word: str) -> int:
    """How many typos a word of this length may carry and still be read as itself (short words: none)."""
    return 0 if len(word) < 5 else 1
