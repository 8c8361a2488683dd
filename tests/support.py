"""Helpers for tests: signed Twilio requests, and TwiML parsed and checked against the schema."""

import os
from pathlib import Path
from xml.etree import ElementTree

from lxml import etree
from twilio.request_validator import RequestValidator

TOKEN = "test-auth-token"
SECRET = "test-secret-key-that-is-long-enough-0123456789"
LINE_NUMBER = "+447700900123"
CALLER = "+447700900456"
XSD = Path(__file__).resolve().parents[2] / "shared" / "twiml" / "twiml.xsd"  # ../shared beside the checkout
MESSAGING_VERBS = {"Message", "Redirect"}

_schema = None


def schema():
    """The TwiML schema from ../shared/twiml; None where it is absent, except in CI, which always has it."""
    global _schema
    if _schema is None and XSD.exists():
        _schema = etree.XMLSchema(etree.parse(str(XSD)))
    if _schema is None and os.environ.get("CI"):
        raise AssertionError(f"no TwiML schema at {XSD}: CI must check every response against it")
    return _schema


def assert_valid_twiml(xml_text: str, messaging: bool = False) -> ElementTree.Element:
    """Parse TwiML, check it against the schema where present, and return its root."""
    document = etree.fromstring(xml_text.encode("utf-8"))
    assert document.tag == "Response", xml_text
    checker = schema()
    if checker is not None and not checker.validate(document):
        errors = "\n".join(f"line {e.line}: {e.message}" for e in checker.error_log)
        raise AssertionError(f"TwiML does not validate:\n{errors}\n{xml_text}")
    if messaging:  # one schema for both channels; Twilio is stricter for messaging
        bad = [child.tag for child in document if child.tag not in MESSAGING_VERBS]
        assert not bad, f"verbs not allowed in a messaging response: {bad}"
    return ElementTree.fromstring(xml_text)


class Served:
    """One locale as the tests read it: its content, its SMS replies and "text me" messages as text, its menus."""

    def __init__(self, app, tag: str | None = None):
        line = app.extensions["line"]
        self.locale = line.locales[tag] if tag else line.default
        sms = app.extensions["replies"]["sms"][self.locale.tag]
        self.replies = {name: tuple(part.text for part in parts) for name, parts in sms.parts.items()}
        self.whatsapp = {
            name: parts[0].text for name, parts in app.extensions["replies"]["whatsapp"][self.locale.tag].parts.items()
        }
        self.texts = dict(sms.texts)
        self.script = app.extensions["phone_line"].spoken_in(self.locale.tag).script

    @classmethod
    def of(cls, app, tag: str | None = None) -> "Served":
        """What `app` serves in `tag` (default: its first locale)."""
        return cls(app, tag)

    def menu_lines(self, name: str) -> tuple[str, ...]:
        """A phone menu as said."""
        return self.script.menu_lines(name)

    @property
    def whatsapp_words(self):
        """The locale's WhatsApp wording (its disclaimer, menu item, opt-out reply)."""
        return self.locale.whatsapp

    def __getattr__(self, name: str):
        return getattr(self.locale, name)


class Twilio:
    """Sends requests into the app the way Twilio does: form-encoded, signed for the full URL."""

    def __init__(self, client, token: str = TOKEN):
        self.client = client
        self.validator = RequestValidator(token)

    def post(self, path: str, params: dict | list, url: str | None = None, headers: dict | None = None):
        """POST `params` to `path`, signed as Twilio would sign `url` (default: the test client's URL)."""
        form = _multidict(params)
        signature = self.validator.compute_signature(url or f"http://localhost{path}", form)
        return self.client.post(path, data=form, headers={"X-Twilio-Signature": signature, **(headers or {})})

    def sms(self, body: str | None, **extra):
        """Text the line, as a patient would."""
        params = {"From": CALLER, "To": LINE_NUMBER, "MessageSid": "SM" + "0" * 32, "NumMedia": "0", **extra}
        if body is not None:
            params["Body"] = body
        return self.post("/sms", params)

    def message(self, body: str | None, **extra) -> str | None:
        """Text the line and return the reply's text (None when it stays silent); checks the TwiML."""
        response = self.sms(body, **extra)
        assert response.status_code == 200, response.status_code
        assert response.mimetype == "text/xml"
        root = assert_valid_twiml(response.get_data(as_text=True), messaging=True)
        messages = root.findall("Message")
        assert len(messages) <= 1, "more than one <Message>: parts could arrive out of order"
        return messages[0].text if messages else None


def _multidict(params):
    """Signature input for params given as a dict or as a list of (name, value) pairs."""
    if isinstance(params, dict):
        return params
    from werkzeug.datastructures import MultiDict

    return MultiDict(params)


class Call:
    """A phone call into the line: signed requests that follow its <Gather action> and <Redirect>, as Twilio does."""

    def __init__(self, twilio: Twilio, caller: str = CALLER):
        self.twilio = twilio
        self.params = {"CallSid": "CA" + "0" * 32, "From": caller, "To": LINE_NUMBER, "CallStatus": "in-progress"}
        self.heard: list[str] = []  # every line said so far, in order
        self.turn = None

    def step(self, path: str, extra: dict | None = None):
        """POST to a step URL, check the TwiML, and return what it says and where it goes."""
        from app.transcript import transcript

        response = self.twilio.post(path, {**self.params, **(extra or {})})
        assert response.status_code == 200, (path, response.status_code)
        assert response.mimetype == "text/xml"
        self.xml = response.get_data(as_text=True)
        assert_valid_twiml(self.xml)
        self.turn = transcript(self.xml)
        assert self.turn.hangup or (self.turn.gather and self.turn.redirect), f"a step that ends in silence: {self.xml}"
        self.heard.extend(self.turn.said)
        return self.turn

    def start(self):
        """Ring the line."""
        return self.step("/voice")

    def press(self, keys: str):
        """Press keys while the line listens."""
        return self.step(self.turn.gather, {"Digits": keys})

    def say(self, words: str, confidence: str = "0.92"):
        """Speak while the line listens."""
        return self.step(self.turn.gather, {"SpeechResult": words, "Confidence": confidence})

    def wait(self):
        """Say nothing until the Gather times out: Twilio goes on to the <Redirect>."""
        return self.step(self.turn.redirect)


def respond_xml(path: str, form: dict, can_text: bool) -> str:
    """A voice step's TwiML, from inside a request context, without the signature (what the panel uses)."""
    from app.voice.views import respond

    return respond(path, form, can_text=can_text)[0]


def after_words(content, text: bool = False) -> tuple[str, ...]:
    """The choices after a piece as content words them, with each key said as a caller hears it."""
    return tuple(after_word(content, o.action) for o in content.voice.after_piece if o.action != "text" or text)


def after_word(content, action: str) -> str:
    """The words of one choice after a piece (again, text or menu)."""
    option = next(o for o in content.voice.after_piece if o.action == action)
    return option.say.format(key=content.voice.say_keys["*"][0] if option.key == "*" else option.key)


_deployments: dict = {}


def forget_deployments() -> None:
    """Build every deployment afresh from here on (for mutmut: see conftest.py)."""
    _deployments.clear()


def deployment(locales: str, **overrides):
    """The line serving `locales` (LINE_LOCALES) with the test settings, built once per test run and shared.

    Safe to share: the line keeps no state between requests (a conversation's lives in its client's cookie,
    a call's in its signed step URLs), so tests that each use a fresh client cannot see one another.
    """
    from app import create_app

    key = (locales, tuple(sorted(overrides.items())))
    if key not in _deployments:
        _deployments[key] = create_app(
            {
                "TESTING": True,
                "TWILIO_AUTH_TOKEN": TOKEN,
                "SECRET_KEY": SECRET,
                "LINE_PHONE_NUMBER": LINE_NUMBER,
                "LINE_LOCALES": locales,
                **overrides,
            }
        )
    return _deployments[key]
