"""The two floors the line is measured against, served by gunicorn with the line's own settings.

bare_app: one Flask route returning a fixed TwiML string, the floor no Flask webhook can beat.
minimal_app: parse the form, check the signature with RequestValidator, return a prepared reply:
the work every correct Twilio webhook must do.
"""

import os

from flask import Flask, Response, abort, request
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse


def _reply() -> str:
    """A prepared one-message reply, about the size of the line's."""
    response = MessagingResponse()
    response.message("Common questions. Reply 1, 2 or 3. " + "This is general info only. " * 8)
    return str(response)


REPLY = _reply()


def bare_app() -> Flask:
    """One route, no form parsing, no signature check: a fixed TwiML string."""
    app = Flask("bench_bare")

    @app.post("/<channel>")
    def webhook(channel: str) -> Response:
        """Answer any webhook path with the fixed reply."""
        return Response(REPLY, mimetype="text/xml")

    return app


def minimal_app() -> Flask:
    """One route that does only what every correct webhook must: parse, check the signature, reply."""
    app = Flask("bench_minimal")
    validator = RequestValidator(os.environ["TWILIO_AUTH_TOKEN"])

    @app.post("/<channel>")
    def webhook(channel: str) -> Response:
        """Answer a signed webhook with the prepared reply, anything else with 403."""
        signature = request.headers.get("X-Twilio-Signature", "")
        if not validator.validate(request.url, request.form, signature):
            abort(403)
        return Response(REPLY, mimetype="text/xml")

    return app
