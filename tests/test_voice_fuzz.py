"""Property-based: whatever a caller presses or says at any step, Twilio gets 200 and valid TwiML that goes on."""

from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support import CALLER, LINE_NUMBER, Call, Served, Twilio

from app.voice.steps import MAX_WRONG

# Any Unicode a form post can carry (lone surrogates excluded)
texts = st.text(st.characters(exclude_categories=("Cs",)), max_size=600)
keys = st.text(st.sampled_from("0123456789*#"), max_size=5) | st.text(max_size=40)
names = st.text(st.characters(min_codepoint=33, max_codepoint=126, exclude_characters="&=%+#"), min_size=1, max_size=20)
STEPS = [
    "/voice",
    "/voice/menu/main",
    "/voice/menu/main?silence=2&wrong=3",
    "/voice/menu/faq",
    "/voice/menu/faq?silence=1&wrong=2",
    "/voice/end/when",
    "/voice/end/faq1",
    "/voice/after/ask",
    "/voice/after/bring?silence=2&wrong=3&sent=1",
    "/voice/after/emergency",
    "/voice/nowhere",
]


@pytest.fixture(scope="module")
def line():
    """One app for the module: hypothesis runs many examples, each a fresh signed request."""
    from support import SECRET, TOKEN

    from app import create_app

    # TESTING: an exception fails the example instead of being hidden behind the apology
    app = create_app(
        {"TESTING": True, "TWILIO_AUTH_TOKEN": TOKEN, "SECRET_KEY": SECRET, "LINE_PHONE_NUMBER": LINE_NUMBER}
    )
    return app, Served.of(app)


@given(
    step=st.sampled_from(STEPS),
    digits=st.none() | keys,
    speech=st.none() | texts,
    confidence=st.none() | st.sampled_from(["0", "0.39", "0.4", "0.93", "1", "-1", "NaN", "inf", "high"]) | texts,
    extra=st.dictionaries(names, texts, max_size=3),
)
def test_anything_at_any_step_gets_valid_twiml_that_goes_on(line, step, digits, speech, confidence, extra):
    app, content = line
    params = {**extra, "From": CALLER, "To": LINE_NUMBER}
    for name, value in (("Digits", digits), ("SpeechResult", speech), ("Confidence", confidence)):
        if value is not None:
            params[name] = value
    call = Call(Twilio(app.test_client()))
    call.params = {}
    turn = call.step(step, params)  # 200, text/xml, schema-valid, and a Gather with a Redirect or a Hangup
    assert content.voice.error not in turn.said
    assert all(line for line in turn.said)


@given(presses=st.lists(st.none() | keys | texts, min_size=1, max_size=40))
def test_any_sequence_of_input_gets_valid_steps_and_only_a_polite_hang_up(line, presses):
    """Follow the call as Twilio would: every step valid, counts within their limits, any end the goodbye."""
    app, content = line
    call = Call(Twilio(app.test_client()))
    call.start()
    for pressed in presses:
        if call.turn.hangup:
            assert call.turn.said == (content.voice.goodbye,)
            break
        if pressed is None:
            call.wait()
        elif pressed and set(pressed) <= set("0123456789*#"):
            call.press(pressed)
        else:
            call.say(pressed)
        state = parse_qs(urlsplit(call.turn.gather or "").query)
        assert int(state.get("silence", ["0"])[0]) <= len(content.voice.no_input)
        assert int(state.get("wrong", ["0"])[0]) <= MAX_WRONG
