"""RECORD_UNMATCHED=1: a text the line did not understand, made safe to keep for the content editors.

Every digit, email address and URL is removed and the rest cut to 160 characters; it is kept with
its locale and the day only (never the sender, never a finer time) and deleted after 30 days.
"""

import re

MAX_CHARS = 160
EMAIL = re.compile(r"\S+@\S+")  # anything around an @: an address, or a broken one
URL = re.compile(r"(?i)\b(?:[a-z][a-z0-9+.-]*://|www\.)\S*|\b\S+\.(?:com|org|net|uk|us|io|info|gov|nhs|edu)\b\S*")
DIGIT = re.compile(r"\d")
SPACE = re.compile(r"\s+")
ON = ("1", "true", "yes", "on")


def scrub(text: str) -> str:
    """The text without digits, email addresses or URLs, spaces collapsed, cut to 160 characters."""
    text = DIGIT.sub("", URL.sub(" ", EMAIL.sub(" ", text)))
    return SPACE.sub(" ", text).strip()[:MAX_CHARS].rstrip()
