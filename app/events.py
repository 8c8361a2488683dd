"""What the line did, in one vocabulary for every channel: logged privately and handed to the recorders."""

import logging
import traceback
from dataclasses import dataclass

from flask import Flask, current_app, g, has_request_context, request

log = logging.getLogger("line")

CHANNELS = ("sms", "whatsapp", "voice")  # the channels patients use; the try-it panels are never counted
OUTCOMES = (
    "served",
    "not_understood",
    "emergency",
    "cant_advise",
    "opt_out",
    "silence",
    "wrong_key",
    "goodbye",
    "text_sent",
    "text_failed",
    "error",
)
AFTER_PIECE = "after_piece"  # what a phone step served when it offered the choices after a piece (not the piece)


@dataclass(frozen=True)
class Event:
    """One answer: where, in which locale, what was served and what happened. Nothing about the patient."""

    channel: str
    locale: str
    served: str  # a topic or reply id, or on the phone a menu name or AFTER_PIECE
    outcome: str  # one of OUTCOMES
    segments: int = 0  # SMS segments of the reply
    started: bool = False  # a conversation began: a text without a state cookie, or a call answered
    detail: str = ""  # for the log only, never counted: why a text was not sent (an error code, not a number)


def init_app(app: Flask) -> None:
    """Send the line's log to stderr and make room for recorders."""
    app.extensions.setdefault("event_sinks", [])
    if not log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)


def emit(event: Event) -> None:
    """Log the event and give it to every recorder; a recorder that fails never changes the answer."""
    log.info(
        "channel=%s locale=%s served=%s outcome=%s%s segments=%d from=%s request_id=%s",
        event.channel,
        event.locale,
        event.served,
        event.outcome,
        f" detail={event.detail}" if event.detail else "",
        event.segments,
        masked(request.form.get("From")),
        g.get("request_id", "-"),
    )
    for sink in current_app.extensions.get("event_sinks", ()):
        try:
            sink(event)
        except Exception as error:  # counting is a side job: the patient's answer comes first
            log_failure(error, "sink-failed")


def masked(number: str | None) -> str:
    """Keep at most the last two digits of a phone number, for logs."""
    digits = "".join(char for char in number or "" if char.isdigit())
    return f"...{digits[-2:]}" if len(digits) >= 4 else "-"


def log_refusal(channel: str, outcome: str) -> None:
    """Log a request refused at the boundary (a bad signature, an oversized body): no event, no count."""
    log.info("channel=%s outcome=%s request_id=%s", channel, outcome, g.get("request_id", "-"))


def log_failure(error: BaseException, outcome: str = "error") -> None:
    """Log an unexpected error by type and place only: its message might quote what a patient sent."""
    frame = traceback.extract_tb(error.__traceback__)[-1] if error.__traceback__ else None
    place = f"{frame.filename.rsplit('/', 1)[-1]}:{frame.lineno}" if frame else "-"
    channel = (request.blueprint or "-") if has_request_context() else "-"
    log.error(
        "channel=%s outcome=%s error=%s at=%s request_id=%s",
        channel,
        outcome,
        type(error).__name__,
        place,
        g.get("request_id", "-") if has_request_context() else "-",
    )


# The line's replies whose outcome is not simply "served".
REPLY_OUTCOMES = {
    "emergency": "emergency",
    "cant_advise": "cant_advise",
    "not_understood": "not_understood",
    "opt_out": "opt_out",
    "error": "error",
}


def outcome_of(reply: str) -> str:
    """What happened, for a reply given by id."""
    return REPLY_OUTCOMES.get(reply, "served")
