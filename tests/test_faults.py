"""Faults that once left the whole suite green: each now makes a test here fail."""

import pytest
from support import Call, Twilio, assert_valid_twiml

from app.webhook import EMPTY_TWIML


def test_a_state_cookie_signed_with_another_key_is_ignored(make_app, content):
    """Only the HMAC tells this cookie from the app's own: it is well formed and names a real list."""
    ours = make_app()
    theirs = make_app(SECRET_KEY="another-secret-key-that-is-also-long-enough-9876")
    faq2 = content.replies["faq2"][0]

    def state_after_faq(app) -> str:
        client = app.test_client()
        Twilio(client).message("FAQ")
        return client.get_cookie("session").value

    same = ours.test_client()
    same.set_cookie("session", state_after_faq(ours))
    assert Twilio(same).message("2") == faq2  # the control: the app's own cookie carries the list
    forged = ours.test_client()
    forged.set_cookie("session", state_after_faq(theirs))
    assert Twilio(forged).message("2") != faq2


@pytest.mark.parametrize(
    ("path", "heard"),
    [
        ("/voice", {}),
        ("/voice/menu/main", {"Digits": "3"}),
        ("/voice/menu/main", {"Digits": "4"}),
        ("/voice/menu/faq", {"Digits": "2"}),
        ("/voice/end/bring", {}),
        ("/voice/after/bring", {"Digits": "1"}),
        ("/voice/after/bring", {"Digits": "*"}),
        ("/voice/menu/main", {"SpeechResult": "what to bring", "Confidence": "0.9"}),
        ("/voice/menu/main", {}),
    ],
)
def test_no_valid_step_is_answered_with_the_apology(make_app, content, path, heard):
    """A step that fails inside is answered with a 200 apology: a valid request must never get one."""
    call = Call(Twilio(make_app(TESTING=False).test_client()))
    turn = call.step(path, heard)
    assert content.voice.error not in turn.said
    assert turn.said, "every step says something"


def test_an_sms_error_is_counted_as_an_error(make_app, content, monkeypatch):
    app = make_app(TESTING=False)
    seen = []
    app.extensions["event_sinks"].append(seen.append)
    monkeypatch.setattr(app.extensions["matchers"]["en-GB"], "decide", lambda text: 1 / 0)
    assert Twilio(app.test_client()).message("FAQ") == content.replies["error"][0]
    assert [(event.channel, event.served, event.outcome) for event in seen] == [("sms", "error", "error")]


def test_when_even_the_apology_fails_the_last_resort_is_an_empty_response(make_app, monkeypatch):
    """Silence, not a <Message>: whatever failed may be in the words, and Twilio still gets valid TwiML."""
    app = make_app(TESTING=False)
    monkeypatch.setattr(app.extensions["matchers"]["en-GB"], "decide", lambda text: 1 / 0)
    monkeypatch.setitem(app.extensions, "sms_apology", {})
    response = Twilio(app.test_client()).sms("FAQ")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == EMPTY_TWIML
    assert_valid_twiml(response.get_data(as_text=True), messaging=True)
