"""POST /voice and its steps: one signed request in, one step's TwiML out."""

from collections.abc import Mapping
from urllib.parse import urlsplit

from flask import Blueprint, current_app, request

from app.events import Event, emit
from app.voice.steps import ROOT
from app.webhook import on_error, twiml, validate_twilio_request

bp = Blueprint("voice", __name__)
KEYPAD = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "0", "#")  # a phone's keys, in keypad order


def respond(path: str, form: Mapping[str, str], *, can_text: bool) -> tuple[str, Event]:
    """The TwiML for a voice step URL (path and query) and the caller's input; safe for any input."""
    return current_app.extensions["phone_line"].respond(path, form, can_text)


def plays_piece(gather_url: str | None) -> bool:
    """Whether a Gather only lets a key cut a piece short (a try-it caller would just listen on)."""
    return bool(gather_url) and urlsplit(gather_url).path.startswith(f"{ROOT}/end/")


@bp.post(ROOT)
@bp.post(f"{ROOT}/")
@bp.post(f"{ROOT}/<path:step>")
@validate_twilio_request
def incoming(step: str = ""):
    """Answer an incoming call, or one of its steps."""
    xml, event = respond(request.full_path, request.form, can_text=bool(current_app.config["TWILIO_ACCOUNT_SID"]))
    emit(event)
    return twiml(xml)


def apology() -> str:
    """The answer when something failed inside: sorry, then the main menu (or goodbye)."""
    phone = current_app.extensions["phone_line"]
    path = request.path + "?" + request.query_string.decode("latin-1")
    emit(Event("voice", phone.locale_of(path), "error", "error"))
    return phone.apology(path)


on_error(bp, apology)
