"""Asking for a language by name, in any served language: "ESPANOL", "Spanish please", "yn Gymraeg"."""

from collections.abc import Iterable

from app.content import Line
from app.text import tokens

# A request names one language and may add courtesies, small words ("please", "en", "in", "yn") and the
# words people ask with ("I want to speak", "quiero hablar", "dw i eisiau siarad"): each served language's
# filler and stopwords, and every pack's asking words. More words than this is a question, not a request.
MOST_WORDS = 8
OTHER = "?"  # the code of a language no pack has


class LanguageNames:
    """Every known language pack's names, as its speakers and others write them, to the pack's code."""

    def __init__(self, line: Line):
        self.names = {" ".join(tokens(said)): code for code, language in line.known.items() for said in language.switch}
        for language in line.known.values():  # a language no pack serves: a code no line serves
            self.names |= {" ".join(tokens(said)): OTHER for said in language.others if tokens(said)}
        # Names of several words, longest first: "no hablo ingles" asks for Spanish, though it names English.
        self.phrases = sorted((name for name in self.names if " " in name), key=len, reverse=True)
        self.small = frozenset(
            word
            for locale in line.locales.values()
            for said in (*locale.matching.filler, *locale.matching.stopwords, *locale.voice.say_filler)
            for word in tokens(said)
        ) | {word for language in line.known.values() for said in language.asking for word in tokens(said)}

    def named(self, words: Iterable[str]) -> str | None:
        """The code of the language a short request names, or None."""
        words = list(words)
        if not words or len(words) > MOST_WORDS:
            return None
        if " ".join(words) in self.names:
            return self.names[" ".join(words)]
        said = f" {' '.join(words)} "
        for phrase in self.phrases:  # a name of several words, with only small words around it ("perdon, yo no ...")
            if f" {phrase} " in said and self.small.issuperset(said.replace(f" {phrase} ", " ", 1).split()):
                return self.names[phrase]
        rest = [word for word in words if word not in self.small]
        return self.names.get(" ".join(rest)) if rest else None

    def in_text(self, text: str) -> str | None:
        """The code of the language a text asks for, or None."""
        return self.named(tokens(text))
