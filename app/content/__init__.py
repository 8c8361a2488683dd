"""The line's words: content/<language>/*.yaml loaded once, checked, and frozen into one value per locale."""

import re
import types
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from app.content.checks import check_locale, check_together
from app.content.loading import ContentError
from app.content.locale import EMERGENCY, Locale, load_locale, read_language, read_matching
from app.content.schema import Language, Matching, Topic
from app.errors import StartupError

__all__ = ["EMERGENCY", "ContentError", "Line", "Locale", "Topic", "load_line"]

LOCALE_TAG = re.compile(r"^([a-z]{2,3})-([A-Z]{2})$")


@dataclass(frozen=True)
class Line:
    """The locales one deployment serves side by side (the first is the default), and the packs it knows of."""

    locales: Mapping[str, Locale]
    known: Mapping[str, Language]  # every language pack in content/, served or not: for "ESPANOL" on a Welsh line
    unserved: Mapping[str, Matching]  # the packs no locale serves: their crisis phrases still read every text

    @property
    def default(self) -> Locale:
        """The locale a new conversation starts in."""
        return next(iter(self.locales.values()))


def load_line(content_dir: str | Path, tags: tuple[str, ...], settings: Mapping[str, str]) -> Line:
    """Load and check every served locale, each on its own and all together."""
    root = Path(content_dir)
    available = (
        sorted(path.name for path in root.iterdir() if (path / "language.yaml").exists()) if root.is_dir() else []
    )
    for tag in tags:
        form = LOCALE_TAG.match(tag)
        if not form:
            raise StartupError(f"setting LINE_LOCALES: {tag!r} is not a locale: a language and a region, such as en-GB")
        if form.group(1) not in available:
            have = ", ".join(available) or "none"
            raise StartupError(
                f"setting LINE_LOCALES: {tag!r}: no language pack content/{form.group(1)}/ (have: {have})"
            )
    locales = {tag: load_locale(root, tag, settings) for tag in tags}
    for locale in locales.values():
        check_locale(locale)
    check_together(locales)
    known = {code: read_language(root, code) for code in available}
    served = {tag.split("-")[0] for tag in tags}
    unserved = {code: read_matching(root, code) for code in available if code not in served}
    return Line(types.MappingProxyType(locales), types.MappingProxyType(known), types.MappingProxyType(unserved))
