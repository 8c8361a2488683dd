"""The Twilio boundary: one signature check for every webhook, TwiML responses, safe failure, private logs."""

import os
from collections.abc import Callable
from functools import wraps

from flask import Blueprint, Flask, Response, abort, current_app, g, request
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse
from werkzeug.exceptions import InternalServerError

from app.events import log_failure, log_refusal

EMPTY_TWIML = str(MessagingResponse())  # <Response/>: valid on both channels, and says nothing


def init_app(app: Flask) -> None:
    """Prepare the validator once and give every request an id."""
    app.extensions["twilio_validator"] = RequestValidator(app.config["TWILIO_AUTH_TOKEN"])
    app.before_request(assign_request_id)


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
            log_refusal(request.blueprint or "-", "forbidden")
            abort(403)
        return view(*args, **kwargs)

    return checked


def twiml(response) -> Response:
    """Serve TwiML (a twilio-library response, or one prepared as text) as XML."""
    return Response(str(response), mimetype="text/xml")


def on_error(bp: Blueprint, apology: Callable[[], object]) -> None:
    """Answer any unexpected error in `bp` with valid TwiML: Twilio must never see a 500."""

    @bp.errorhandler(InternalServerError)
    def answer_with_twiml(error: InternalServerError):
        try:
            return twiml(apology()), 200
        except Exception as failure:  # the apology itself failed: an empty response still keeps Twilio from a 500
            log_failure(failure, "apology-failed")
            return twiml(EMPTY_TWIML), 200
