"""Settings, read once from the environment."""

import os
import re
from pathlib import Path

from app.errors import StartupError

# Development-only stand-ins: production refuses to start with them (see check_production).
DEV_AUTH_TOKEN = "dev-auth-token-not-secret"
DEV_SECRET_KEY = "dev-secret-key-not-secret"

E164 = re.compile(r"^\+[1-9][0-9]{7,14}$")
TWILIO_TOKEN = re.compile(r"^[0-9a-fA-F]{32}$")  # as the Twilio console shows an auth token
MIN_SECRET_CHARS = 32
MIN_DISTINCT_CHARS = 8  # a random 32-character hex string has about 14; fewer than 8 is a placeholder
MAX_PROXY_HOPS = 5  # more proxies than this in front of one app is a mistake, not a topology
# gunicorn.conf.py's worker settings: name -> (default, lowest, highest).
SERVING = {"WEB_CONCURRENCY": (2, 1, 32), "WEB_THREADS": (1, 1, 64)}

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
            settings[name] = number(name, raw, kind)
        else:
            settings[name] = raw
    settings["CONTENT_DIR"] = settings["CONTENT_DIR"] or default_content_dir()
    return settings


def number(name: str, raw: str, kind: type = int) -> int | float:
    """A setting read as a number, or one clear line naming it."""
    try:
        return kind(raw)
    except ValueError:
        what = "a whole number" if kind is int else "a number"
        raise StartupError(f"setting {name}: {raw!r} is not {what}") from None


def serving(environ=os.environ) -> dict[str, int]:
    """gunicorn's worker processes and threads per worker, from the environment, each within its range."""
    settings = {}
    for name, (default, lowest, highest) in SERVING.items():
        raw = environ.get(name, "").strip()
        settings[name] = number(name, raw) if raw else default
        if not lowest <= settings[name] <= highest:
            raise StartupError(f"setting {name}: {settings[name]} must be from {lowest} to {highest}")
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
    if not 0 <= settings["PROXY_HOPS"] <= MAX_PROXY_HOPS:  # ProxyFix fails every forwarded request otherwise
        raise StartupError(f"setting PROXY_HOPS: {settings['PROXY_HOPS']} must be from 0 to {MAX_PROXY_HOPS}")
    base = settings["PUBLIC_BASE_URL"]
    if base and not re.match(r"^https?://[^/\s]+$", base):
        raise StartupError(f"setting PUBLIC_BASE_URL: {base!r} must look like https://line.example.org (no path)")
    if settings["LINE_ENV"] == "production":
        check_production(settings)


def check_production(settings: dict) -> None:
    """Refuse, one line each, what is safe on a laptop and not on the internet."""
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
    token, key = settings["TWILIO_AUTH_TOKEN"], settings["SECRET_KEY"]
    if not TWILIO_TOKEN.match(token) or repetitive(token):
        raise StartupError(
            "production needs TWILIO_AUTH_TOKEN as the Twilio console shows it (32 hexadecimal characters): "
            "this one is not a real auth token"
        )
    if len(key) < MIN_SECRET_CHARS:
        raise StartupError(f"production needs SECRET_KEY of at least {MIN_SECRET_CHARS} random characters")
    if repetitive(key):
        raise StartupError(
            "production needs a random SECRET_KEY: this one repeats itself "
            "(make one with: python -c 'import secrets; print(secrets.token_hex(32))')"
        )
    if key.lower() == token.lower():
        raise StartupError("production needs SECRET_KEY different from TWILIO_AUTH_TOKEN")
    base = settings["PUBLIC_BASE_URL"]
    if not base.startswith("https://"):  # signatures are checked against it: never against Host headers
        raise StartupError(
            "production needs PUBLIC_BASE_URL set to the https:// address Twilio calls, e.g. https://line.example.org"
            + (f" (not {base!r})" if base else "")
        )
    if settings["TWILIO_API_BASE_URL"]:  # it would send the account SID and auth token to that address
        raise StartupError("setting TWILIO_API_BASE_URL is for tests only: unset it in production")


def repetitive(secret: str) -> bool:
    """Tell whether a secret is too plain to be random: few different characters, or one block repeated."""
    return len(set(secret)) < MIN_DISTINCT_CHARS or secret in (secret + secret)[1:-1]


def locales(settings: dict) -> tuple[str, ...]:
    """The locales the line serves, in order: LINE_LOCALES split at commas."""
    return tuple(tag.strip() for tag in settings["LINE_LOCALES"].split(",") if tag.strip())


def phone_number(settings: dict) -> str:
    """Return the line's E.164 number, or '' when it is unset or malformed."""
    number = re.sub(r"[\s()-]", "", settings["LINE_PHONE_NUMBER"])
    return number if E164.match(number) else ""
