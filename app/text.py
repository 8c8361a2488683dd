"""Text handling for any language: words as the line reads them."""

import re
import unicodedata

MAX_TOKENS = 80  # a 1,600-character text has at most a few hundred words; the question is in the first few


def fold(text: str) -> str:
    """Lower-case, with accents dropped ("Español" -> "espanol")."""
    text = unicodedata.normalize("NFKD", text)
    return "".join(char for char in text if not unicodedata.combining(char)).casefold()


def tokens(text: str) -> list[str]:
    """Lower-case words and numbers, accents and apostrophes dropped ("Can't" -> "cant")."""
    text = re.sub(r"['\u2018\u2019`]", "", fold(text))
    return re.findall(r"[^\W_]+", text)[:MAX_TOKENS]
