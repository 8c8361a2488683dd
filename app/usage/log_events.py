"""STAND-IN until the lead's app/events.py lands on main: the webhooks' log lines, turned into events.

app/webhook.py's log_event() calls report() (one line); report() builds the event USAGE.md
describes from what the line logs today and hands it to every sink. Once app/events.py and its
emit() calls are merged, delete this module and that line: the recorder is the same sink either way.
"""

from dataclasses import dataclass

from flask import current_app, request

from app import gsm

VOICE_OUTCOMES = {  # the phone line's log outcomes, in the events' vocabulary
    "call": "served", "lost": "served", "end": "served", "repeat": "served", "menu": "served", "piece": "served",
    "ack": "served", "unheard": "not_understood", "wrong": "wrong_key", "silence": "silence",
    "text-sent": "text_sent", "text-unavailable": "text_failed",
}
SMS_OUTCOMES = {"not_understood": "not_understood", "emergency": "emergency", "cant_advise": "cant_advise",
                "error": "error"}


@dataclass(frozen=True)
class Event:
    """The same fields as app.events.Event (notes/USAGE.md)."""

    channel: str
    locale: str
    served: str
    outcome: str
    segments: int = 0
    started: bool = False


def report(channel: str, topic: str, outcome: str) -> None:
    """Hand the event for one logged answer to every sink; never raises: counting must not change the answer."""
    try:
        deliver(channel, topic, outcome)
    except Exception as error:
        from app.webhook import log_failure

        log_failure(error, "count-failed")


def deliver(channel: str, topic: str, outcome: str) -> None:
    """Build the event and give it to the sinks; a refused request ("forbidden") is no answer."""
    if outcome == "forbidden" or channel not in ("sms", "voice"):
        return
    locale = current_app.extensions.get("usage_locale", "-")
    if channel == "sms":
        reply, _, part = topic.partition(":")
        text = None if outcome == "silent" else current_app.extensions["line_content"].replies[reply][int(part) - 1]
        event = Event(
            "sms", locale, "-" if text is None else reply,
            "opt_out" if text is None else SMS_OUTCOMES.get(reply, "served"),
            0 if text is None else gsm.segments(text).segments,
            started=current_app.config["SESSION_COOKIE_NAME"] not in request.cookies,
        )
        recorder = current_app.extensions.get("usage_recorder")
        if event.outcome == "not_understood" and recorder is not None and current_app.extensions["usage_unmatched"]:
            recorder.record_unmatched(locale, request.form.get("Body", "")[:1600])
    else:
        kind = "goodbye" if outcome.startswith("goodbye") else outcome
        mapped = "goodbye" if kind == "goodbye" else VOICE_OUTCOMES.get(kind, "error")
        if kind.startswith("text-failed"):
            mapped = "text_failed"
        event = Event("voice", locale, topic, mapped, started=request.path.rstrip("/") == "/voice")
    for sink in current_app.extensions.get("event_sinks", ()):
        sink(event)
