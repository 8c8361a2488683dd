"""The Twilio boundary: one signature check for every webhook, TwiML responses, safe failure, private logs."""

import os
from collections.abc import Callable
from functools import wraps

from flask import Blueprint, Flask, Response, abort, current_app, g, request
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import InternalServerError, RequestEntityTooLarge

from app.events import log_failure, log_refusal
from app.gsm import MAX_MESSAGE_CHARS

EMPTY_TWIML = str(MessagingResponse())  # <Response/>: valid on both channels, and says nothing
# Twilio's richest webhook (WhatsApp with ten media and every optional field) has 64 fields (see
# tests/test_security.py); twice that leaves room for fields Twilio adds. The validator HMACs every
# field, twice: 9,000 empty ones cost about 100 ms, this many well under 1 ms.
MAX_FIELDS = 128
FORM = "application/x-www-form-urlencoded"  # the only way Twilio posts a webhook


def init_app(app: Flask) -> None:
    """Prepare the validator once and give every request an id."""
    app.extensions["twilio_validator"] = RequestValidator(app.config["TWILIO_AUTH_TOKEN"])
    app.before_request(assign_request_id)


def assign_request_id() -> None:
    """Tag the request so one conversation's log lines can be found without any personal data."""
    g.request_id = os.urandom(6).hex()


def public_url() -> str:
    """The URL Twilio signed: rebuilt from PUBLIC_BASE_URL, never from Host headers (production requires it).

    Only in development without PUBLIC_BASE_URL is it the URL as the request arrived, so a local
    run and `flask text`/`flask call` work without one.
    """
    base = current_app.config["PUBLIC_BASE_URL"]
    if not base:
        return request.url
    query = request.query_string.decode("latin-1")
    return f"{base}{request.path}" + (f"?{query}" if query else "")


def validate_twilio_request(view: Callable) -> Callable:
    """Answer 403 unless the request carries Twilio's signature for this URL and these parameters."""

    @wraps(view)
    def checked(*args, **kwargs):
        refusal = cheap_refusal()
        if refusal:
            request.form = ImmutableMultiDict()  # never parsed: the log line below must not parse it either
            log_refusal(request.blueprint or "-", f"refused-{refusal.status_code}")
            return refusal
        signature = request.headers.get("X-Twilio-Signature", "")
        validator = current_app.extensions["twilio_validator"]
        if not signature or not validator.validate(public_url(), request.form, signature):
            log_refusal(request.blueprint or "-", "forbidden")
            abort(403)
        cut_body()
        return view(*args, **kwargs)

    return checked


def cheap_refusal() -> Response | None:
    """A tiny 413, 415 or 400 for what no Twilio webhook is, found before any HMAC is computed; else None."""
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if (request.content_length or 0) > limit:
        return Response(status=413)
    try:
        body = request.get_data(cache=True)  # kept for the form parser; bounded by the limit when chunked too
    except RequestEntityTooLarge:
        return Response(status=413)
    if body and request.mimetype != FORM:
        return Response(status=415)
    query = request.query_string
    fields = (body.count(b"&") + 1 if body else 0) + (query.count(b"&") + 1 if query else 0)
    return Response(status=400) if fields > MAX_FIELDS else None


def cut_body() -> None:
    """Hand the view at most MAX_MESSAGE_CHARS of Body, the most Twilio delivers, before any text work."""
    body = request.form.get("Body")
    if body is not None and len(body) > MAX_MESSAGE_CHARS:
        form = request.form.copy()
        form["Body"] = body[:MAX_MESSAGE_CHARS]
        request.form = ImmutableMultiDict(form)  # werkzeug caches the parsed form here; the view reads this one


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
