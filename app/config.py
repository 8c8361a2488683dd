"""Settings, read once from the environment."""

import os
import re
from pathlib import Path

from app.errors import StartupError

# Development-only stand-ins: production refuses to start with them (see check_production).
DEV_AUTH_TOKEN = "dev-auth-token-not-secret"
DEV_SECRET_KEY = "dev-secret-key-not-secret"

E164 = re.compile(r"^\+[1-9][0-9]{7,14}$")

DEFAULTS = {
    "LINE_ENV": "development",
    "TWILIO_AUTH_TOKEN": DEV_AUTH_TOKEN,
    "SECRET_KEY": DEV_SECRET_KEY,
    "TWILIO_ACCOUNT_SID": "",
    "LINE_PHONE_NUMBER": "",
    "LINE_LOCALES": "en-GB",  # the locales served side by side, the first the default: en-GB,cy-GB
    "LINE_OPERATOR": "",  # default: operator in content/<language>/line.yaml
    "CONTENT_DIR": "",  # default: content/ beside app/ in a checkout, else ./content
    "PROXY_HOPS": 0,
    "PUBLIC_BASE_URL": "",
    "VOICE_RATE": "90%",
    "GATHER_TIMEOUT": 8,
    "SPEECH_MIN_CONFIDENCE": 0.4,
    "SEND_TIMEOUT": 4,
    "TWILIO_API_BASE_URL": "",
}
INTEGER_SETTINGS = {"PROXY_HOPS", "GATHER_TIMEOUT", "SEND_TIMEOUT"}
FLOAT_SETTINGS = {"SPEECH_MIN_CONFIDENCE"}


def from_environment(environ=os.environ) -> dict:
    """Return the settings: defaults, overridden by any set in the environment."""
    settings = {}
    for name, default in DEFAULTS.items():
        raw = environ.get(name, "").strip()
        if not raw:
            settings[name] = default
        elif name in INTEGER_SETTINGS | FLOAT_SETTINGS:
            kind = int if name in INTEGER_SETTINGS else float
            try:
                settings[name] = kind(raw)
            except ValueError:
                number = "a whole number" if kind is int else "a number"
                raise StartupError(f"setting {name}: {raw!r} is not {number}") from None
        else:
            settings[name] = raw
    settings["CONTENT_DIR"] = settings["CONTENT_DIR"] or default_content_dir()
    return settings


def default_content_dir() -> str:
    """content/ beside the package in a checkout (or an editable install), else in the working folder."""
    beside = Path(__file__).resolve().parent.parent / "content"
    return str(beside if beside.is_dir() else Path.cwd() / "content")


def check(settings: dict) -> None:
    """Refuse settings the line cannot run with; in production, refuse development stand-ins."""
    if settings["LINE_ENV"] not in ("development", "production"):  # a typo must not quietly mean development
        raise StartupError(f"setting LINE_ENV: {settings['LINE_ENV']!r} must be development or production")
    tags = locales(settings)
    if len(set(tags)) != len(tags) or not tags:
        raise StartupError(
            f"setting LINE_LOCALES: {settings['LINE_LOCALES']!r} must list each locale once, e.g. en-GB,cy-GB"
        )
    base = settings["PUBLIC_BASE_URL"]
    if base and not re.match(r"^https?://[^/\s]+$", base):
        raise StartupError(f"setting PUBLIC_BASE_URL: {base!r} must look like https://line.example.org (no path)")
    if settings["LINE_ENV"] != "production":
        return
    missing = [
        name
        for name, dev_value in (("TWILIO_AUTH_TOKEN", DEV_AUTH_TOKEN), ("SECRET_KEY", DEV_SECRET_KEY))
        if settings[name] in ("", dev_value)
    ]
    if missing:
        raise StartupError(
            f"production needs {' and '.join(missing)} set in the environment "
            "(the Twilio auth token from the Twilio console; SECRET_KEY a long random string, "
            "for example from: python -c 'import secrets; print(secrets.token_hex(32))')"
        )
    if len(settings["SECRET_KEY"]) < 32:
        raise StartupError("production needs SECRET_KEY of at least 32 random characters")


def locales(settings: dict) -> tuple[str, ...]:
    """The locales the line serves, in order: LINE_LOCALES split at commas."""
    return tuple(tag.strip() for tag in settings["LINE_LOCALES"].split(",") if tag.strip())


def phone_number(settings: dict) -> str:
    """Return the line's E.164 number, or '' when it is unset or malformed."""
    number = re.sub(r"[\s()-]", "", settings["LINE_PHONE_NUMBER"])
    return number if E164.match(number) else ""
