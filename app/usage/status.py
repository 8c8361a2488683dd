"""POST /voice/status: Twilio's call status callback, counted as a call length in a bucket, nothing else."""

from flask import Blueprint, Flask, current_app, request

from app.webhook import EMPTY_TWIML, on_error, twiml, validate_twilio_request

bp = Blueprint("voice_status", __name__)
MAX_SECONDS = 24 * 3600  # no real call is longer; anything else is not a duration
STATUS_CLAIM = "(status callback)"  # in the ledger beside "text me" topics, which are never written so


@bp.post("/voice/status")
@validate_twilio_request
def call_status():
    """Count a finished call by length, once; any other status, or a malformed duration, is answered and not counted."""
    recorder = current_app.extensions.get("usage_recorder")
    raw = request.form.get("CallDuration", "")
    if recorder is not None and request.form.get("CallStatus") == "completed" and raw.isascii() and raw.isdigit():
        seconds = int(raw[:6])
        call, ledger = request.form.get("CallSid", ""), current_app.extensions["text_ledger"]
        # Twilio retries a callback it got no answer to: a call already counted is not counted again.
        if seconds <= MAX_SECONDS and (not call or ledger.first_time(call, STATUS_CLAIM)):
            recorder.record_call(current_app.extensions["usage_locale"], seconds)
    return twiml(EMPTY_TWIML)


on_error(bp, lambda: EMPTY_TWIML)


def init_app(app: Flask) -> None:
    """Register the status callback."""
    app.register_blueprint(bp)
