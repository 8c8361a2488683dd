"""GSM-7 checks and SMS segment counts, as Twilio bills them."""

import math
from dataclasses import dataclass

BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
EXTENDED = "^{}\\[~]|€\f"  # each takes two septets (an escape, then the character)
GSM7 = frozenset(BASIC + EXTENDED)

# What to write instead of the characters that most often sneak in from word processors.
REPLACEMENTS = {
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u201b": "'",
    "\u2032": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u2033": '"',
    "\u2013": "-",
    "\u2014": "-",
    "\u2012": "-",
    "\u2010": "-",
    "\u2011": "-",
    "\u2212": "-",
    "\u2026": "...",
    "\u00a0": " ",
    "\u2009": " ",
    "\u202f": " ",
    "\u200b": "",
    "\u2022": "-",
    "\u00b7": "-",
    "\t": " ",
    "á": "a",
    "í": "i",
    "ó": "o",
    "ú": "u",
    "â": "a",
    "ê": "e",
    "î": "i",
    "ô": "o",
    "û": "u",
    "ç": "c",
    "ë": "e",
    "ï": "i",
    "Á": "A",
    "Í": "I",
    "Ó": "O",
    "Ú": "U",
    "È": "E",
}


@dataclass(frozen=True)
class Segments:
    """How an SMS text is encoded and how many billed segments it takes."""

    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets for GSM-7, UTF-16 code units for UCS-2
    segments: int


def first_non_gsm(text: str) -> str | None:
    """Return the first character that is not in GSM-7, or None."""
    return next((char for char in text if char not in GSM7), None)


def suggestion(char: str) -> str:
    """Describe a non-GSM-7 character and what to write instead."""
    name = f"U+{ord(char):04X}"
    if char in REPLACEMENTS:
        return f"{char!r} ({name}) is not GSM-7: write {REPLACEMENTS[char]!r} instead"
    return f"{char!r} ({name}) is not GSM-7 and has no replacement: remove it"


def segments(text: str) -> Segments:
    """Count segments: 160 septets in one, 153 each when split; UCS-2 70, or 67 each."""
    if first_non_gsm(text) is None:
        units = len(text) + sum(char in EXTENDED for char in text)
        single, multi, encoding = 160, 153, "GSM-7"
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, multi, encoding = 70, 67, "UCS-2"
    count = 1 if units <= single else math.ceil(units / multi)
    return Segments(encoding, units, count)


MAX_MESSAGE_CHARS = 1600  # the most Twilio sends as one message, SMS or WhatsApp (error 21617)


def fold(text: str, letters: dict[str, str]) -> str:
    """Write the letters a language folds for SMS plainly ("más" -> "mas"), to stay in GSM-7."""
    return text.translate(str.maketrans(letters)) if letters else text
