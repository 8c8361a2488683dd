"""POST /sms: Twilio's Messaging webhook, for SMS and for WhatsApp (whose From is whatsapp:+E164)."""

from flask import Blueprint, current_app, request, session

from app.events import Event, emit, outcome_of
from app.webhook import EMPTY_TWIML, on_error, twiml, validate_twilio_request

bp = Blueprint("sms", __name__)


def channel() -> str:
    """Which messaging channel a request came by: Twilio writes WhatsApp senders as whatsapp:+E164."""
    return "whatsapp" if str(request.form.get("From", "")).startswith("whatsapp:") else "sms"


@bp.post("/sms")
@validate_twilio_request
def incoming():
    """Answer an incoming text or WhatsApp message."""
    name = channel()
    started = not session  # no state cookie: the first text of a conversation
    # The session object itself, not its proxy: answer() reads and writes it several times.
    body = request.form.get("Body", "")  # cut to MAX_MESSAGE_CHARS by validate_twilio_request
    answer = current_app.extensions["conversations"][name].answer(body, session._get_current_object())
    segments = answer.sent.segments if answer.sent else 0
    emit(Event(name, answer.tag, answer.reply, outcome_of(answer.reply), segments, started))
    if answer.reply == "not_understood" and current_app.extensions.get("usage_unmatched"):
        # Off by default (RECORD_UNMATCHED): the text, scrubbed of digits, addresses and links, for editors.
        current_app.extensions["usage_recorder"].record_unmatched(answer.tag, body)
    return twiml(answer.sent.twiml if answer.sent else EMPTY_TWIML)


def apology() -> str:
    """The reply when something failed inside: a short sorry with the disclaimer, in the conversation's language."""
    apologies = current_app.extensions["sms_apology"][channel()]
    tag = session.get("locale") if session.get("locale") in apologies else next(iter(apologies))
    emit(Event(channel(), tag, "error", "error"))
    return apologies[tag]


on_error(bp, apology)
