"""`flask --app app twilio`: point a Twilio number at the line, check how it is set up, write the fallback TwiML.

Credentials come from the environment: TWILIO_ACCOUNT_SID, and TWILIO_API_KEY with TWILIO_API_SECRET
(an API key, which can be revoked on its own) or else TWILIO_AUTH_TOKEN. Neither secret is ever printed.
"""

import ipaddress
import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import click
import requests
from flask import Flask, current_app
from flask.cli import AppGroup
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.rest import Client
from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import VoiceResponse

from app import gsm
from app.config import DEV_AUTH_TOKEN, E164
from app.readability import PAUSE_SECONDS
from app.texting import rest_client

TIMEOUT = 10  # seconds to wait for each answer from Twilio's API
SMS_PATH, VOICE_PATH, STATUS_PATH = "/sms", "/voice", "/voice/status"
FALLBACK_FILES = {"sms": "sms.xml", "voice": "voice.xml"}  # what fallback-twiml writes, and --fallback-url expects
# The fallback documents are static files: object storage and static hosts answer POST with 405,
# and a TwiML Bin takes either, so Twilio fetches them with GET.
FALLBACK_METHOD = "GET"
LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".lan", ".home.arpa")  # names only a local network knows

# The number's fields the line sets, in the order they are shown, with what the console calls them.
FIELDS = {
    "sms_url": "SMS URL (A message comes in)",
    "sms_method": "SMS method",
    "sms_fallback_url": "SMS fallback URL",
    "sms_fallback_method": "SMS fallback method",
    "voice_url": "Voice URL (A call comes in)",
    "voice_method": "Voice method",
    "voice_fallback_url": "Voice fallback URL",
    "voice_fallback_method": "Voice fallback method",
    "status_callback": "Call status callback",
    "status_callback_method": "Call status callback method",
}

twilio = AppGroup("twilio", help="Connect a Twilio number to the line, check it, write the fallback TwiML.")


class SetupError(click.ClickException):
    """One line naming the problem and what to do; exit code 1."""


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


# Talking to Twilio.


def client_from_environment() -> Client:
    """A REST client for the account in the environment, or one line saying which setting is missing."""
    account = current_app.config.get("TWILIO_ACCOUNT_SID", "")
    key, secret = os.environ.get("TWILIO_API_KEY", "").strip(), os.environ.get("TWILIO_API_SECRET", "").strip()
    token = current_app.config.get("TWILIO_AUTH_TOKEN", "")
    if not account:
        raise SetupError("set TWILIO_ACCOUNT_SID to the account SID (AC..., on the Twilio console's home page)")
    if key or secret:
        if not (key and secret):
            raise SetupError("set both TWILIO_API_KEY (SK...) and TWILIO_API_SECRET, or neither")
        user, password = key, secret
    elif token and token != DEV_AUTH_TOKEN:
        user, password = account, token
    else:
        raise SetupError(
            "set TWILIO_API_KEY and TWILIO_API_SECRET (an API key, from the Twilio console), or TWILIO_AUTH_TOKEN"
        )
    return rest_client(account, user, password, TIMEOUT, current_app.config.get("TWILIO_API_BASE_URL", ""))


@contextmanager
def asking_twilio(doing: str) -> Iterator[None]:
    """Turn what can go wrong with Twilio's API into one line naming the problem and what to do."""
    try:
        yield
    except TwilioRestException as error:
        raise SetupError(explain(error.status, error.code, error.msg, doing)) from None
    except TwilioException as error:  # a list page that failed: twilio-python passes the response along
        raise SetupError(explain(*page_error(error), doing)) from None
    except requests.Timeout:
        raise SetupError(
            f"Twilio did not answer within {TIMEOUT} s while {doing}: try again in a few minutes"
        ) from None
    except requests.ConnectionError:
        raise SetupError(
            f"could not reach Twilio's API while {doing} (no network, or the connection was refused): "
            "check this machine's internet connection and try again"
        ) from None


def page_error(error: TwilioException) -> tuple[int, int, str]:
    """The HTTP status, Twilio error code and message of a failed list page."""
    response = error.args[1] if len(error.args) > 1 else None
    status = getattr(response, "status_code", 0)
    try:
        body = json.loads(getattr(response, "text", ""))
    except ValueError:
        body = {}
    body = body if isinstance(body, dict) else {}
    return status, body.get("code") or status, str(body.get("message") or "")


def explain(status: int, code: int, message: str, doing: str) -> str:
    """What a Twilio error means for the operator."""
    if status == 401 or code == 20003:
        return (
            f"Twilio refused the credentials (error 20003) while {doing}: check TWILIO_ACCOUNT_SID and "
            "TWILIO_API_KEY/TWILIO_API_SECRET (or TWILIO_AUTH_TOKEN) against the Twilio console"
        )
    if code == 20404:
        return (
            f"Twilio has no such resource (error 20404) while {doing}: the number may just have been "
            "released or moved to another account; check it in the console and run the command again"
        )
    said = str(message).splitlines()[0][:200] if message else ""
    return (
        f"Twilio refused {doing}: error {code} (HTTP {status}){f': {said}' if said else ''}; "
        f"see https://www.twilio.com/docs/errors/{code}"
    )


def read_number(client: Client, number: str):
    """The number's resource, read fresh, or one line saying it is not in this account."""
    with asking_twilio("looking the number up"):
        found = [
            n for n in client.incoming_phone_numbers.list(phone_number=number, limit=20) if n.phone_number == number
        ]
    if not found:
        raise SetupError(
            f"{number} is not a number of Twilio account {client.account_sid}: check the number, and that "
            "TWILIO_ACCOUNT_SID is the (sub)account that owns it"
        )
    with asking_twilio("reading the number's configuration"):
        return client.incoming_phone_numbers(found[0].sid).fetch()


def e164(ctx, param, value: str) -> str:
    """The NUMBER argument, as E.164."""
    number = "".join(value.split())
    if not E164.match(number):
        raise click.BadParameter(f"{value!r} is not an E.164 number such as +447700900123")
    return number


# What overrides the number's own URLs.


def overrides(resource) -> list[str]:
    """What sends the number's texts or calls somewhere other than its own URLs, in plain words."""
    found = []
    sms_app = resource.sms_application_sid or ""
    if sms_app.startswith("MG"):
        found.append(
            f"texts go to Messaging Service {sms_app}, whose own incoming-message settings override the "
            "number's SMS URL: remove the number from that service's sender pool (console: Messaging > "
            "Services), or set the service to send incoming messages to the line's /sms with POST"
        )
    elif sms_app:
        found.append(
            f"texts go to TwiML application {sms_app}, not the number's SMS URL: in the console, set the "
            "number's 'A message comes in' to Webhook"
        )
    if resource.voice_application_sid:
        found.append(
            f"calls go to TwiML application {resource.voice_application_sid}, not the number's voice URL: in "
            "the console, set the number's 'A call comes in' to Webhook"
        )
    if resource.trunk_sid:
        found.append(
            f"calls go to SIP trunk {resource.trunk_sid}, not the number's voice URL: remove the number from "
            "the trunk (console: Elastic SIP Trunking)"
        )
    return found


def shown(value) -> str:
    """A field's value as printed."""
    return str(value) if value else "(none)"


# The commands.


@twilio.command("connect")
@click.argument("number", callback=e164)
@click.option("--base-url", required=True, help="The line's public address, such as https://line.example.org.")
@click.option("--fallback-url", default="", help="Where fallback-twiml's sms.xml and voice.xml are hosted.")
@click.option("--sms-fallback-url", default="", help="The SMS fallback's own URL (a TwiML Bin, say).")
@click.option("--voice-fallback-url", default="", help="The voice fallback's own URL.")
def connect_command(number: str, base_url: str, fallback_url: str, sms_fallback_url: str, voice_fallback_url: str):
    """Point NUMBER's texts, calls, call status and fallbacks at the line, in one update."""
    base = checked_base(base_url)
    fallbacks = checked_fallbacks(base, fallback_url, sms_fallback_url, voice_fallback_url)
    client = client_from_environment()
    resource = read_number(client, number)
    blocked = overrides(resource)
    if blocked:
        raise SetupError(f"{number}: {blocked[0]}; then run connect again (nothing was changed)")
    fields = wanted(base, fallbacks)
    before = {name: getattr(resource, name) or "" for name in FIELDS}
    changes = {name: value for name, value in fields.items() if before[name] != value}
    if not changes:
        click.echo(f"{number} ({resource.sid}) is already connected to {base}: nothing to change.")
        after = before
    else:
        with asking_twilio("updating the number (nothing was changed)"):
            updated = client.incoming_phone_numbers(resource.sid).update(**changes)
        after = {name: getattr(updated, name) or "" for name in FIELDS}
        click.echo(f"Connected {number} ({resource.sid}) to {base}:")
    for name, label in FIELDS.items():
        if before[name] != after[name]:
            click.echo(f"  {label}: {shown(before[name])} -> {shown(after[name])}")
        else:
            click.echo(f"  {label}: {shown(after[name])} (unchanged)")
    kept = [FIELDS[name] for name, value in fields.items() if after[name] != value]
    if kept:
        raise SetupError(f"Twilio did not keep {', '.join(kept)}: run check {number} to see the number as it is")
    if not fallbacks:
        click.echo(
            "No fallback given: if the line is down, callers hear Twilio's own error. Run "
            "'flask --app app twilio fallback-twiml --out DIR', host the files, then connect with --fallback-url."
        )
    if not current_app.config.get("PUBLIC_BASE_URL"):
        click.echo(f"Set PUBLIC_BASE_URL={base} where the line runs, so it checks signatures against this address.")


@twilio.command("check")
@click.argument("number", callback=e164)
@click.option(
    "--base-url", default="", help="The line's public address (default: PUBLIC_BASE_URL, else the SMS URL's)."
)
def check_command(number: str, base_url: str):
    """Report each problem with NUMBER's set-up in plain words; exit 1 if there is any."""
    client = client_from_environment()
    resource = read_number(client, number)
    problems = number_problems(resource, base_url or current_app.config.get("PUBLIC_BASE_URL", ""))
    if not problems:
        click.echo(f"{number} ({resource.sid}): no problems found.")
        return
    click.echo(f"{number} ({resource.sid}): {len(problems)} problem(s):")
    for problem in problems:
        click.echo(f"  - {problem}")
    click.get_current_context().exit(1)


def number_problems(resource, base: str) -> list[str]:
    """Every problem with a number's set-up for the line at `base` (derived from its SMS URL when '')."""
    problems = overrides(resource)
    base = base.strip().rstrip("/") or (origin(resource.sms_url) if resource.sms_url else "")
    if base and url_problem(base):
        problems.append(f"the line's address {base} {url_problem(base)}")
    hooks = (
        ("sms_url", "sms_method", SMS_PATH, "the SMS URL", "texts get no answer"),
        ("voice_url", "voice_method", VOICE_PATH, "the voice URL", "calls get no answer"),
        ("status_callback", "status_callback_method", STATUS_PATH, "the call status callback", "calls are not counted"),
    )
    for field, method_field, path, label, without in hooks:
        url, method = getattr(resource, field) or "", (getattr(resource, method_field) or "POST").upper()
        if not url:
            problems.append(f"{label} is not set, so {without}: run connect")
            continue
        if base and url != base + path:
            problems.append(f"{label} is {url}, not {base + path}")
        if url_problem(url):
            problems.append(f"{label} {url} {url_problem(url)}")
        if method != "POST":
            problems.append(f"{label} uses {method}: the line answers only POST (Twilio would get 405); set POST")
    for channel, field, without in (
        ("SMS", "sms_fallback_url", "texts get no answer at all"),
        ("voice", "voice_fallback_url", "callers hear Twilio's 'an application error has occurred'"),
    ):
        url = getattr(resource, field) or ""
        if not url:
            problems.append(
                f"no {channel} fallback URL: when the line is down, {without}; run fallback-twiml and connect "
                "with --fallback-url"
            )
            continue
        if url_problem(url):
            problems.append(f"the {channel} fallback {url} {url_problem(url)}")
        line_host = host(base) if base else host(resource.sms_url or resource.voice_url or "")
        if line_host and host(url) == line_host:
            problems.append(
                f"the {channel} fallback {url} is on the line's own host: when the line is down, so is its "
                "fallback; host it elsewhere (a TwiML Bin, object storage)"
            )
    return problems


@dataclass(frozen=True)
class FallbackWords:
    """One locale's words for the fallback documents."""

    locale: str
    sms: str  # the whole message, disclaimer included
    voice: tuple[str, ...]  # said one line per breath
    voice_name: str  # the Polly voice
    language: str


def fallback_words(app: Flask) -> list[FallbackWords]:
    """Each served locale's fallback words (content's `fallback`), the default locale first."""
    words = []
    for locale in app.extensions["line"].locales.values():
        fold = dict(locale.language.sms_fold)
        words.append(
            FallbackWords(
                locale=locale.tag,
                sms=gsm.fold(f"{locale.fallback.sms}\n{locale.sms.disclaimer}", fold),
                voice=locale.fallback.voice,
                voice_name=locale.region.voice,
                language=locale.region.language,
            )
        )
    return words


def fallback_documents(words: list[FallbackWords], rate: str) -> dict[str, str]:
    """The two static TwiML documents: every locale's apology in turn (a number serves all its locales)."""
    sms = MessagingResponse()
    sms.message("\n\n".join(locale.sms for locale in words))
    voice = VoiceResponse()
    pause = f"{round(PAUSE_SECONDS * 1000)}ms"
    for locale in words:
        prosody = voice.say(voice=locale.voice_name, language=locale.language).prosody(rate=rate)
        for line in locale.voice:
            prosody.s(line)
            prosody.break_(time=pause)
    voice.hangup()
    return {"sms": str(sms), "voice": str(voice)}


@twilio.command("fallback-twiml")
@click.option(
    "--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path), help="Folder to write to."
)
def fallback_twiml_command(out: Path):
    """Write sms.xml and voice.xml: the apologies Twilio plays from the fallback URLs when the line is down."""
    words = fallback_words(current_app)
    documents = fallback_documents(words, current_app.config["VOICE_RATE"])
    try:
        out.mkdir(parents=True, exist_ok=True)
        for channel, name in FALLBACK_FILES.items():
            (out / name).write_text(documents[channel] + "\n", encoding="utf-8")
    except OSError as error:
        raise SetupError(f"could not write to {out}: {error.strerror}") from None
    locales = ", ".join(locale.locale for locale in words)
    for name in FALLBACK_FILES.values():
        click.echo(f"wrote {out / name} ({locales})")
    click.echo(
        "Host both files over https:// away from the line (object storage, or paste each into a TwiML Bin), "
        "then run connect with --fallback-url (or --sms-fallback-url and --voice-fallback-url)."
    )
