"""The addresses a number is pointed at: the line's public URL, checked, and the fallbacks."""

import ipaddress
from collections.abc import Mapping
from urllib.parse import urlsplit

from flask import current_app

from app.twilio_setup.api import SetupError

SMS_PATH, VOICE_PATH, STATUS_PATH = "/sms", "/voice", "/voice/status"
FALLBACK_FILES = {"sms": "sms.xml", "voice": "voice.xml"}  # what fallback-twiml writes, and --fallback-url expects
# The fallback documents are static files: object storage and static hosts answer POST with 405,
# and a TwiML Bin takes either, so Twilio fetches them with GET.
FALLBACK_METHOD = "GET"
LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".lan", ".home.arpa")  # names only a local network knows


# Addresses.


def url_problem(url: str) -> str:
    """Why Twilio could not use `url` for a webhook ('' when it can)."""
    parts = urlsplit(url)
    if parts.scheme == "http":
        return "uses http://, so texts and calls would cross the internet unencrypted: use https://"
    if parts.scheme != "https" or not parts.hostname:
        return "is not an https:// address"
    host = parts.hostname.lower()
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        if host == "localhost" or host.endswith(LOCAL_SUFFIXES) or "." not in host:
            return f"names {host}, which only this machine or its local network knows: Twilio cannot reach it"
        return ""
    if not address.is_global:
        return f"is a private or loopback address ({host}): Twilio cannot reach it"
    return ""


def origin(url: str) -> str:
    """The scheme, host and port of a URL, as compared (lower case, no trailing slash)."""
    parts = urlsplit(url.strip())
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def host(url: str) -> str:
    """A URL's host name, lower case."""
    return (urlsplit(url).hostname or "").lower()


def checked_base(base_url: str) -> str:
    """The line's public address, refused where Twilio could not reach it or signatures would fail."""
    base = base_url.strip().rstrip("/")
    problem = url_problem(base)
    if problem:
        raise SetupError(f"--base-url {base} {problem}")
    parts = urlsplit(base)
    if parts.path or parts.query or parts.fragment:
        raise SetupError(f"--base-url {base} must be the line's address only, such as https://line.example.org")
    public = current_app.config.get("PUBLIC_BASE_URL", "")
    if public and origin(public) != origin(base):
        raise SetupError(
            f"--base-url {base} is not PUBLIC_BASE_URL ({public}): the line checks signatures against "
            "PUBLIC_BASE_URL, so every request would get 403; use the same address for both"
        )
    return base


def checked_fallbacks(base: str, fallback_url: str, sms_url: str, voice_url: str) -> dict[str, str]:
    """The SMS and voice fallback URLs to set ({} for none), refused where they could not help."""
    if fallback_url and (sms_url or voice_url):
        raise SetupError("give either --fallback-url or --sms-fallback-url with --voice-fallback-url, not both")
    if bool(sms_url) != bool(voice_url):
        raise SetupError("give both --sms-fallback-url and --voice-fallback-url (or --fallback-url for both)")
    if fallback_url:
        folder = fallback_url.strip().rstrip("/")
        urls = {channel: f"{folder}/{name}" for channel, name in FALLBACK_FILES.items()}
    elif sms_url:
        urls = {"sms": sms_url.strip(), "voice": voice_url.strip()}
    else:
        return {}
    for channel, url in urls.items():
        problem = url_problem(url)
        if problem:
            raise SetupError(f"the {channel} fallback {url} {problem}")
        if host(url) == host(base):
            raise SetupError(
                f"the {channel} fallback {url} is on the line's own host: when the line is down, so is its "
                "fallback; host the fallback TwiML elsewhere (a TwiML Bin, object storage)"
            )
    return urls


def wanted(base: str, fallbacks: Mapping[str, str]) -> dict[str, str]:
    """The number's fields as the line needs them."""
    fields = {
        "sms_url": base + SMS_PATH,
        "sms_method": "POST",
        "voice_url": base + VOICE_PATH,
        "voice_method": "POST",
        "status_callback": base + STATUS_PATH,
        "status_callback_method": "POST",
    }
    if fallbacks:
        fields |= {
            "sms_fallback_url": fallbacks["sms"],
            "sms_fallback_method": FALLBACK_METHOD,
            "voice_fallback_url": fallbacks["voice"],
            "voice_fallback_method": FALLBACK_METHOD,
        }
    return fields
