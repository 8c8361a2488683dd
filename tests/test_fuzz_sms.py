"""Property-based: whatever arrives at /sms, Twilio gets 200, valid TwiML, at most one known reply."""

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support import CALLER, LINE_NUMBER, Served, Twilio, assert_valid_twiml

# Any Unicode (control characters and lone surrogates excluded: a form post can't carry the latter)
texts = st.text(st.characters(exclude_categories=("Cs",)), max_size=1600)
names = st.text(st.characters(min_codepoint=33, max_codepoint=126, exclude_characters="&=%+#"), min_size=1,
                max_size=20)


@pytest.fixture(scope="module")
def line():
    """One app for the module: hypothesis runs many examples, each a fresh signed request."""
    from support import SECRET, TOKEN

    from app import create_app

    # TESTING: an exception fails the example instead of being hidden behind the apology
    app = create_app({"TESTING": True, "TWILIO_AUTH_TOKEN": TOKEN, "SECRET_KEY": SECRET,
                      "LINE_PHONE_NUMBER": LINE_NUMBER})
    replies = Served.of(app).replies
    known = {reply for name, parts in replies.items() if name != "error" for reply in parts}
    return app, known


def check(response, known: set[str]) -> None:
    """200, valid messaging TwiML, and at most one reply, which the line wrote (never the input)."""
    assert response.status_code == 200
    root = assert_valid_twiml(response.get_data(as_text=True), messaging=True)
    messages = [m.text for m in root.findall("Message")]
    assert len(messages) <= 1
    assert all(message in known for message in messages)


@given(body=texts)
def test_any_body_gets_a_valid_reply(line, body):
    app, known = line
    check(Twilio(app.test_client()).sms(body), known)


@given(body=texts, extra=st.dictionaries(names, texts, max_size=5))
def test_any_extra_parameters_get_a_valid_reply(line, body, extra):
    app, known = line
    params = {**extra, "From": CALLER, "To": LINE_NUMBER, "Body": body}
    check(Twilio(app.test_client()).post("/sms", params), known)


@given(pairs=st.lists(st.tuples(st.sampled_from(["Body", "From", "To", "NumMedia", "MediaUrl0"]), texts),
                      max_size=6))
def test_missing_and_repeated_fields_get_a_valid_reply(line, pairs):
    app, known = line
    check(Twilio(app.test_client()).post("/sms", pairs), known)


@given(body=texts, cookie=st.text(max_size=300))
def test_any_cookie_gets_a_valid_reply(line, body, cookie):
    app, known = line
    client = app.test_client()
    client.set_cookie("session", cookie.encode("utf-8", "ignore").decode("latin-1"), domain="localhost")
    check(Twilio(client).sms(body), known)
