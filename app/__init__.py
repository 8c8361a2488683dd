"""Second Opinion Line: an SMS, WhatsApp and phone line serving the patient guide "Getting a Second Opinion"."""

import functools
import hashlib
import logging
from collections.abc import Mapping
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from app import config
from app.content import load_line
from app.matching import Matcher
from app.phone import spaced
from app.sms.render import render_all
from app.text import Stemmer
from app.understanding.crisis import PhrasesOnly

MAX_REQUEST_BYTES = 64 * 1024  # a Twilio webhook is a few KB; anything far bigger is not Twilio


class LineApp(Flask):
    """Flask, with errors logged without the message text that could quote a patient."""

    def log_exception(self, exc_info) -> None:
        """Log the error's type and place, never its message or the request's data."""
        from app.events import log_failure

        log_failure(exc_info[1])


def create_app(test_config: dict | None = None) -> Flask:
    """Build the line: settings, then content (loaded and checked once), then the views."""
    app = LineApp(__name__)
    settings = config.from_environment()
    settings.update(test_config or {})
    config.check(settings)
    app.config.from_mapping(
        settings,
        MAX_CONTENT_LENGTH=MAX_REQUEST_BYTES,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings["LINE_ENV"] == "production",
        # Even in debug mode an error goes to the error handlers: Twilio gets valid TwiML, never a 500,
        # and no debugger page shows a request's data.
        PROPAGATE_EXCEPTIONS=False,
    )
    app.config["LINE_NUMBER"] = config.phone_number(settings)
    if not app.config["LINE_NUMBER"]:
        logging.getLogger(__name__).warning(
            "LINE_PHONE_NUMBER is %s: pages will say the number is not configured",
            "not set" if not settings["LINE_PHONE_NUMBER"] else "not an E.164 number such as +447700900123",
        )
    if settings["PROXY_HOPS"]:
        # Trust X-Forwarded-Proto/Host only from as many proxies as we were told sit in front.
        hops = settings["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)

    # Data flows one way: content, checked once -> each channel's replies -> understanding -> the views.
    app.extensions["line"], app.extensions["replies"], app.extensions["matchers"], app.extensions["unserved"] = built(
        settings["CONTENT_DIR"],
        config.locales(settings),
        {"operator": settings["LINE_OPERATOR"], "number": spaced(app.config["LINE_NUMBER"])},
    )

    from app import cli, events, health, report, session, sms, usage, voice, web, webhook
    from app.usage import dashboard  # the operator's /insights, over the usage database

    # usage records what the views report (and keeps the text-me ledger): after events, before the views.
    for module in (events, session, webhook, usage, health, sms, voice, report, cli, web, dashboard):
        module.init_app(app)
    return app


def built(content_dir: str | Path, tags: tuple[str, ...], placeholders: Mapping[str, str]) -> tuple:
    """The line's content, each channel's replies, a matcher per locale and the unserved packs' crisis phrases."""
    return build_line(fingerprint(content_dir), str(content_dir), tuple(tags), tuple(sorted(placeholders.items())))


def fingerprint(content_dir: str | Path) -> str:
    """A digest of every file under the content folder: equal digests mean the same content."""
    root, digest = Path(content_dir), hashlib.blake2b(digest_size=16)
    for path in sorted(root.rglob("*")) if root.is_dir() else ():
        if path.is_file():
            digest.update(f"{path.relative_to(root)}\0{path.stat().st_size}\0".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


# Everything built here is frozen or only read, so apps built from the same files can share it: a process
# builds one app, but the tests build hundreds, and this is four fifths of each build (about 40 ms).
# A failed build raises and is not kept, so broken content is refused every time.
@functools.lru_cache(maxsize=8)
def build_line(_fingerprint: str, content_dir: str, tags: tuple[str, ...], placeholders: tuple) -> tuple:
    """Load and check the content, render each channel's replies, and build each locale's matcher."""
    line = load_line(content_dir, tags, dict(placeholders))
    replies = render_all(line)
    matchers = {
        tag: Matcher(locale, {name: len(parts) for name, parts in replies["sms"][tag].parts.items()})
        for tag, locale in line.locales.items()
    }
    # A crisis texted or said in a language no locale serves ("me quiero morir" on a Welsh line): its pack's
    # phrases read it, and the line answers with its own emergency reply, whose numbers are the region's.
    unserved = tuple(
        PhrasesOnly(matching.emergency, matching.shorthand, Stemmer(line.known[code].stemmer))
        for code, matching in line.unserved.items()
    )
    return line, replies, matchers, unserved
