"""{placeholders} in content: filled at start-up, or checked now and filled when used."""

import string
import types
import typing
from collections.abc import Mapping
from dataclasses import fields

from app.content.loading import ContentError, is_dataclass, join

# Texts whose placeholders are filled when they are used, not at start-up: checked here, filled later.
FILLED_LATER = {
    "sms.menu_item": ("keyword", "title"),
    "whatsapp.menu_item": ("keyword", "title"),
    "sms.more": ("next", "total"),
    "sms.also": ("keyword", "title"),
    "sms.languages": ("languages",),
    "voice.option": ("label", "key"),
    "voice.back": ("key",),
    "voice.sent": ("last_digits",),
    "offer.voice": ("key",),
}
FILLED_LATER_PATTERNS = {"voice.after_piece": ("key",)}  # every entry below this one


def later(entry: str) -> tuple[str, ...] | None:
    """The placeholders a text filled later may use, or None for a text filled now."""
    if entry in FILLED_LATER:
        return FILLED_LATER[entry]
    return next((known for prefix, known in FILLED_LATER_PATTERNS.items() if entry.startswith(prefix)), None)


def fill_all(value, values: Mapping[str, str], file: str, entry: str = ""):
    """Fill the placeholders of every text in a content value: a text, a list, a mapping or a dataclass."""
    if isinstance(value, str):
        known = later(entry)
        if known is not None:
            check_placeholders(value, known, file, entry)
            return value
        return fill(value, values, file, entry)
    if isinstance(value, tuple):
        return tuple(fill_all(item, values, file, f"{entry}[{index + 1}]") for index, item in enumerate(value))
    if isinstance(value, Mapping):
        return types.MappingProxyType(
            {key: fill_all(item, values, file, join(entry, key)) for key, item in value.items()}
        )
    if is_dataclass(type(value)):
        return type(value)(
            **{f.name: fill_all(getattr(value, f.name), values, file, join(entry, f.name)) for f in fields(value)}
        )
    return value


def check_placeholders(text: str, known: typing.Iterable[str], file: str, entry: str) -> None:
    """Refuse a {placeholder} not in `known`, and a brace without its pair."""
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]
    except ValueError:
        raise ContentError(file, entry, "a { or } without its pair: placeholders look like {name}") from None
    for name in names:
        if name not in known:
            listed = ", ".join(sorted(known)) or "none, this text is not filled in"
            raise ContentError(file, entry, f"unknown placeholder {{{name}}} (known: {listed})")


def fill(text: str, values: Mapping[str, str], file: str, entry: str) -> str:
    """Fill {placeholders}; an unknown one is a content error."""
    check_placeholders(text, values, file, entry)
    return text.format_map(values)
