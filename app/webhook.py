"""The Twilio boundary: one signature check for every webhook, TwiML responses, safe failure, private logs."""

import logging
import os
import traceback
from collections.abc import Callable
from functools import wraps

from flask import Blueprint, Flask, Response, abort, current_app, g, request
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse
from werkzeug.exceptions import InternalServerError

from app.usage.log_events import report as report_usage

log = logging.getLogger("line")
EMPTY_TWIML = str(MessagingResponse())  # <Response/>: valid on both channels, and says nothing


def init_app(app: Flask) -> None:
    """Prepare the validator once, give every request an id, and send the line's log to stderr."""
    app.extensions["twilio_validator"] = RequestValidator(app.config["TWILIO_AUTH_TOKEN"])
    app.before_request(assign_request_id)
    if not log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)


def assign_request_id() -> None:
    """Tag the request so one conversation's log lines can be found without any personal data."""
    g.request_id = os.urandom(6).hex()


def public_url() -> str:
    """The URL Twilio signed: rebuilt from PUBLIC_BASE_URL when set, else as the request arrived."""
    base = current_app.config["PUBLIC_BASE_URL"]
    if not base:
        return request.url
    query = request.query_string.decode("latin-1")
    return f"{base}{request.path}" + (f"?{query}" if query else "")


def validate_twilio_request(view: Callable) -> Callable:
    """Answer 403 unless the request carries Twilio's signature for this URL and these parameters."""

    @wraps(view)
    def checked(*args, **kwargs):
        signature = request.headers.get("X-Twilio-Signature", "")
        validator = current_app.extensions["twilio_validator"]
        if not signature or not validator.validate(public_url(), request.form, signature):
            log_event(request.blueprint or "-", "-", "forbidden")
            abort(403)
        return view(*args, **kwargs)

    return checked


def twiml(response) -> Response:
    """Serve TwiML (a twilio-library response, or one prepared as text) as XML."""
    return Response(str(response), mimetype="text/xml")


def masked(number: str | None) -> str:
    """Keep at most the last two digits of a phone number, for logs."""
    digits = "".join(char for char in number or "" if char.isdigit())
    return f"...{digits[-2:]}" if len(digits) >= 4 else "-"


def log_event(channel: str, topic: str, outcome: str) -> None:
    """Log what was served: never a message body, speech, or full number."""
    log.info(
        "channel=%s topic=%s outcome=%s from=%s request_id=%s",
        channel,
        topic,
        outcome,
        masked(request.form.get("From")),
        g.get("request_id", "-"),
    )
    report_usage(channel, topic, outcome)  # STAND-IN until app/events.py lands: see app/usage/log_events.py


def on_error(bp: Blueprint, apology: Callable[[], object]) -> None:
    """Answer any unexpected error in `bp` with valid TwiML: Twilio must never see a 500."""

    @bp.errorhandler(InternalServerError)
    def answer_with_twiml(error: InternalServerError):
        try:
            return twiml(apology()), 200
        except Exception as failure:  # the apology itself failed: an empty response still keeps Twilio from a 500
            log_failure(failure, "apology-failed")
            return twiml(EMPTY_TWIML), 200


def log_failure(error: BaseException, outcome: str = "error") -> None:
    """Log an unexpected error by type and place only: its message might quote what a patient sent."""
    frame = traceback.extract_tb(error.__traceback__)[-1] if error.__traceback__ else None
    place = f"{frame.filename.rsplit('/', 1)[-1]}:{frame.lineno}" if frame else "-"
    log.error(
        "channel=%s outcome=%s error=%s at=%s request_id=%s",
        request.blueprint or "-", outcome, type(error).__name__, place, g.get("request_id", "-"),
    )
