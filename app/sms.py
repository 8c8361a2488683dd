"""POST /sms: a text in, one short piece of the guide out, as one TwiML <Message>."""

from collections.abc import MutableMapping
from dataclasses import dataclass

from flask import Blueprint, Flask, current_app, request, session
from twilio.twiml.messaging_response import MessagingResponse

from app.content import Content
from app.matching import Kind, Matcher
from app.webhook import EMPTY_TWIML, log_event, on_error, twiml, validate_twilio_request

bp = Blueprint("sms", __name__)


@dataclass(frozen=True)
class Answer:
    """What the line sends back: a reply by name and part, or silence (text is None)."""

    reply: str
    part: int
    text: str | None


def message_twiml(text: str) -> str:
    """One <Message> as TwiML."""
    response = MessagingResponse()
    response.message(text)
    return str(response)


class SmsLine:
    """Answers texts from content: every reply and its TwiML prepared once, at start-up."""

    def __init__(self, content: Content):
        self.content = content
        self.matcher = Matcher(content)
        self.prepared = {
            (name, number): message_twiml(text)
            for name, parts in content.replies.items()
            for number, text in enumerate(parts, start=1)
        }

    def answer(self, body: str, state: MutableMapping) -> Answer:
        """Answer one text; `state` is the small, signed, per-sender cookie (it may be empty or stale)."""
        match = self.matcher.match(body)
        if match.kind is Kind.SILENT:
            return Answer("opt-out", 0, None)
        reply, part = match.reply, match.part
        pending = state.get("more")
        if not (isinstance(pending, list) and len(pending) == 2 and tuple(pending) in self.prepared):
            pending = None  # no cookie, or a stale or foreign one
        listed = state.get("list") if self.matcher.has_numbered(str(state.get("list"))) else None
        if match.kind is Kind.MORE:
            reply, part = tuple(pending) if pending else ("nothing_more", 1)
        elif match.kind is Kind.NUMBER and listed:  # "2" after the FAQ list; "7" shows the list again
            reply, part = self.matcher.numbered(listed, match.part) or listed, 1
        elif match.kind is Kind.NUMBER and pending and 1 <= match.part <= len(self.content.replies[pending[0]]):
            reply = pending[0]  # "2" or "part 3" after "Reply MORE for part 2 of 3"
        elif match.kind is Kind.NUMBER:
            reply, part = "not_understood", 1
        self.remember(state, reply, part)
        return Answer(reply, part, self.content.replies[reply][part - 1])

    def remember(self, state: MutableMapping, reply: str, part: int) -> None:
        """Keep what MORE and a bare number will mean next time; nothing about the patient."""
        if part < len(self.content.replies[reply]):
            state["more"] = [reply, part + 1]
        else:
            state.pop("more", None)
        listed = state.get("list")
        if self.matcher.has_numbered(reply):
            state["list"] = reply
        elif not (isinstance(listed, str) and reply in self.matcher.children(listed)):
            state.pop("list", None)

    def response(self, answer: Answer) -> str:
        """The TwiML for an answer: one prepared <Message>, or an empty <Response/>."""
        return EMPTY_TWIML if answer.text is None else self.prepared[(answer.reply, answer.part)]


@bp.post("/sms")
@validate_twilio_request
def incoming():
    """Answer an incoming text."""
    line: SmsLine = current_app.extensions["sms_line"]
    # The session object itself, not its proxy: answer() reads and writes it several times.
    answer = line.answer(request.form.get("Body", ""), session._get_current_object())
    log_event("sms", f"{answer.reply}:{answer.part}", "silent" if answer.text is None else "served")
    return twiml(line.response(answer))


def apology() -> str:
    """The reply when something failed inside: a short sorry, with the disclaimer."""
    return current_app.extensions["sms_apology"]


on_error(bp, apology)


def init_app(app: Flask) -> None:
    """Prepare the SMS line and register its webhook."""
    line = SmsLine(app.extensions["line_content"])
    app.extensions["sms_line"] = line
    app.extensions["sms_apology"] = line.prepared[("error", 1)]  # kept apart, so a broken line can still apologise
    app.register_blueprint(bp)
