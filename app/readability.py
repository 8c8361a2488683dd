"""Reading level and spoken length: the guards every piece must pass."""

import re

import textstat

WORDS_PER_MINUTE = 150  # comfortable synthetic speech for older callers
PAUSE_SECONDS = 0.6  # the break said after each spoken line
MAX_GRADE = 8.0
MAX_SPOKEN_SECONDS = 60.0
MAX_MENU_SECONDS = 25.0
MIN_SENTENCES = 3  # the formula is noise on one or two sentences: a guard, not a verdict

textstat.set_lang("en_US")  # the bundled CMU dictionary: offline, no download


def as_sentences(text: str) -> str:
    """Treat each line as a sentence: a list item is read as one, and the formula should know."""
    items = (line.strip(" -") for line in text.splitlines())
    return " ".join(item if item[-1] in ".?!:" else f"{item}." for item in items if item)


def sentence_count(text: str) -> int:
    """Count sentences the way `grade` sees them."""
    return max(1, len(re.findall(r"[.?!:]+(?:\s|$)", as_sentences(text))))


def gradeable(text: str) -> bool:
    """Tell whether a text is long enough for the formula to mean anything (three sentences or more)."""
    return sentence_count(text) >= MIN_SENTENCES


def grade(text: str) -> float:
    """Flesch-Kincaid grade of a piece, line by line."""
    return float(textstat.flesch_kincaid_grade(as_sentences(text)))


def word_count(text: str) -> int:
    """Count spoken words."""
    return len(re.findall(r"[A-Za-z0-9']+", text))


def spoken_seconds(said_lines: tuple[str, ...]) -> float:
    """Seconds to say these lines at the line's pace, with a pause after each."""
    words = sum(word_count(line) for line in said_lines)
    return words * 60 / WORDS_PER_MINUTE + PAUSE_SECONDS * len(said_lines)
