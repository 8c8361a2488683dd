"""Where a call is: a step, carried in the signed URL of each Gather and Redirect, so nothing is kept elsewhere.

  /voice                                    an incoming call: the welcome, then the main menu
  /voice/menu/<menu>?silence=N&wrong=N      the answer to a menu: a key, speech, or nothing
  /voice/end/<topic>                        a piece heard (or cut short): the disclaimer, then the choices
  /voice/after/<topic>?silence=N&wrong=N&sent=1   the answer to "again, by text, or back"
Each may carry &locale=cy-GB (absent: the line's first locale). Anything else is "lost": the main menu.
"""

import re
from collections.abc import Collection
from dataclasses import dataclass
from enum import Enum
from urllib.parse import parse_qs, urlencode, urlsplit

ROOT = "/voice"
MAIN = "main"
MAX_WRONG = 3  # wrong keys or unheard speech at one step before the goodbye (silence: one per no_input line)
COUNT = re.compile(r"^[0-9]{1,3}$")


class Kind(Enum):
    """The kinds of step."""

    CALL = "call"
    MENU = "menu"
    END = "end"
    AFTER = "after"
    LOST = "lost"


@dataclass(frozen=True)
class Step:
    """A kind of step, the menu or topic it is about, its locale, and what went wrong there so far."""

    kind: Kind
    name: str = MAIN  # a menu name or a topic id
    locale: str = ""  # "" is the line's first locale
    silence: int = 0
    wrong: int = 0
    sent: bool = False

    def url(self) -> str:
        """The step's URL, with its state as the query."""
        state = {"locale": self.locale, "silence": self.silence, "wrong": self.wrong, "sent": int(self.sent)}
        query = urlencode({name: value for name, value in state.items() if value})
        return f"{ROOT}/{self.kind.value}/{self.name}" + (f"?{query}" if query else "")


@dataclass(frozen=True)
class Places:
    """What step URLs may name: the menus, the pieces and the locales of this line."""

    menus: Collection[str]
    pieces: Collection[str]
    locales: Collection[str]
    most_silence: int


def parse(path: str, places: Places) -> Step:
    """The step a URL names; a URL that names none, or a locale the line does not serve, is LOST."""
    try:
        parts = urlsplit(str(path))
    except ValueError:
        return Step(Kind.LOST)
    query = parse_qs(parts.query)
    locale = query.get("locale", [""])[0]
    if locale and locale not in places.locales:
        return Step(Kind.LOST)
    if parts.path.rstrip("/") == ROOT:
        return Step(Kind.CALL, locale=locale)
    segments = parts.path.split("/")
    if len(segments) != 4 or segments[:2] != ["", ROOT.strip("/")]:
        return Step(Kind.LOST, locale=locale)
    kind, name = segments[2], segments[3]
    known = name in places.menus if kind == "menu" else kind in ("end", "after") and name in places.pieces
    if not known:
        return Step(Kind.LOST, locale=locale)

    def count(field: str, most: int) -> int:
        value = query.get(field, ["0"])[0]
        return min(int(value), most) if COUNT.match(value) else 0

    return Step(
        Kind(kind),
        name,
        locale=locale,
        silence=count("silence", places.most_silence),
        wrong=count("wrong", MAX_WRONG),
        sent=query.get("sent") == ["1"],
    )
