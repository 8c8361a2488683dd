"""Reading level and spoken length: the guards every piece must pass."""

import re

import textstat

WORDS_PER_MINUTE = 150  # comfortable synthetic speech for older callers
PAUSE_SECONDS = 0.6  # the break said after each spoken line
MAX_GRADE = 8.0  # English: Flesch-Kincaid grade
MIN_SPANISH_EASE = 60.0  # Spanish: Fernandez Huerta reading ease, 60 to 70 is "normal", above is easier
MAX_SENTENCE_WORDS = 20  # every language, Welsh included (which has no standard formula): short sentences
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


def words_per_sentence(text: str) -> float:
    """The mean sentence length, in words: the guard for every language."""
    return word_count(text) / sentence_count(text)


def level(text: str, language: str) -> tuple[str, float, str]:
    """A piece's reading level in its language: (measure, value, problem or "")."""
    if language == "en":
        value = grade(text)
        return "FK grade", value, f"grade over {MAX_GRADE:g}" if value > MAX_GRADE and gradeable(text) else ""
    if language == "es":
        textstat.set_lang("es")
        try:
            value = float(textstat.fernandez_huerta(as_sentences(text)))
        finally:
            textstat.set_lang("en_US")
        low = value < MIN_SPANISH_EASE and gradeable(text)
        return "F-Huerta", value, f"ease under {MIN_SPANISH_EASE:g}" if low else ""
    value = words_per_sentence(text)
    return "words/sent", value, f"over {MAX_SENTENCE_WORDS} words a sentence" if value > MAX_SENTENCE_WORDS else ""


def word_count(text: str) -> int:
    """Count spoken words."""
    return len(re.findall(r"[^\W_]+(?:'[^\W_]+)?", text))


def spoken_seconds(said_lines: tuple[str, ...]) -> float:
    """Seconds to say these lines at the line's pace, with a pause after each."""
    words = sum(word_count(line) for line in said_lines)
    return words * 60 / WORDS_PER_MINUTE + PAUSE_SECONDS * len(said_lines)
