"""Key 2 after a piece: the piece texted through the twilio REST client, to a local stand-in for Twilio's API."""

import base64
import time
from xml.etree import ElementTree

import pytest
from fake_twilio import ACCOUNT_SID, BROKEN, LANDLINE, SLOW, MemoryLedger, TwilioApi
from support import CALLER, LINE_NUMBER, TOKEN, Call, Twilio, after_word, after_words, respond_xml

from app.transcript import transcript

SEND_TIMEOUT = 1


@pytest.fixture
def messages_api():
    """The stand-in for api.twilio.com, for one test."""
    api = TwilioApi(delay=SEND_TIMEOUT + 1.5)
    yield api
    api.close()


@pytest.fixture
def sending_app(make_app, messages_api):
    """The line with texting configured, its REST client pointed at the stand-in."""
    app = make_app(TWILIO_ACCOUNT_SID=ACCOUNT_SID, TWILIO_API_BASE_URL=messages_api.url, SEND_TIMEOUT=SEND_TIMEOUT)
    app.extensions.setdefault("text_ledger", MemoryLedger())  # the usage database's ledger, where merged
    app.extensions["fake_twilio"] = messages_api  # where heard_bring starts the call Twilio knows about
    return app


def heard_bring(app, caller: str = CALLER) -> Call:
    """A call that has heard "what to bring" to its end and is offered the choices."""
    call = Call(Twilio(app.test_client()), caller=caller)
    if "fake_twilio" in app.extensions:  # texting checks with Twilio's Calls API that the call is live
        call.params["CallSid"] = app.extensions["fake_twilio"].start_call(caller, LINE_NUMBER)
    call.start()
    call.press("3")
    call.wait()
    return call


def test_the_text_option_is_offered_where_sending_is_configured(sending_app, content):
    call = heard_bring(sending_app)
    assert call.turn.said == (content.voice.disclaimer, *after_words(content, text=True))


def test_pressing_two_texts_the_piece_with_its_disclaimer_from_the_called_number(sending_app, messages_api, content):
    call = heard_bring(sending_app)
    call.press("2")
    assert len(messages_api.received) == 1
    message = messages_api.received[0]
    assert (message["To"], message["From"]) == (CALLER, LINE_NUMBER)
    assert message["Body"].endswith(content.sms.disclaimer)
    for part in content.topics["bring"].sms:
        assert part in message["Body"]
    assert "Reply MORE" not in message["Body"]  # one message: there is no MORE to ask for
    assert len(message["Body"]) <= 1600
    user, _, token = base64.b64decode(message["auth"].split()[1]).decode().partition(":")
    assert (user, token) == (ACCOUNT_SID, TOKEN)
    assert call.turn.said[0] == "I've sent that to the number ending 0 4 5 6."
    assert call.turn.said[1:] == after_words(content)  # not offered twice
    assert call.turn.gather == "/voice/after/bring?sent=1"
    call.press("2")
    assert call.turn.said[0] == content.voice.wrong_key
    assert len(messages_api.received) == 1


def test_saying_text_me_sends_it_too(sending_app, messages_api):
    call = heard_bring(sending_app)
    call.say("text it to me please")
    assert len(messages_api.received) == 1 and call.turn.said[0].startswith("I've sent that")


@pytest.mark.parametrize(
    "caller", [LANDLINE, BROKEN, "anonymous", "client:alice"], ids=["21614", "500", "no-number", "app-caller"]
)
def test_a_text_that_cannot_be_sent_is_said_so_and_the_call_goes_on(sending_app, content, caller):
    call = heard_bring(sending_app, caller=caller)
    call.press("2")
    assert call.turn.said[0] == content.voice.not_sent
    assert call.turn.gather == "/voice/after/bring?sent=1"
    call.press("*")
    assert call.turn.said == content.menu_lines("main")


def test_a_slow_api_times_out_and_the_call_goes_on_well_inside_fifteen_seconds(sending_app, messages_api, content):
    call = heard_bring(sending_app, caller=SLOW)
    started = time.monotonic()
    call.press("2")
    assert time.monotonic() - started < SEND_TIMEOUT + 1
    assert call.turn.said[0] == content.voice.not_sent
    assert len(messages_api.received) == 1


def test_without_an_account_sid_nothing_is_offered_or_sent(make_app, messages_api, content):
    app = make_app(TWILIO_API_BASE_URL=messages_api.url)
    call = heard_bring(app)
    assert after_word(content, "text") not in call.turn.said
    call.press("2")
    assert call.turn.said[0] == content.voice.wrong_key
    call.say("text me")
    assert call.turn.said[0] == content.voice.cannot_text, "asked for aloud: say this line cannot send texts"
    assert messages_api.received == []


def test_respond_without_texts_never_offers_or_sends(sending_app, messages_api, content):
    with sending_app.test_request_context("/"):
        turn = transcript(respond_xml("/voice/end/bring", {}, can_text=False))
        assert after_word(content, "text") not in turn.said
        turn = transcript(respond_xml("/voice/after/bring", {"Digits": "2", "From": CALLER}, can_text=False))
        assert turn.said[0] == content.voice.wrong_key
    assert messages_api.received == []


def test_the_webhook_never_logs_the_number_or_the_text(sending_app, messages_api, caplog):
    with caplog.at_level("DEBUG"):
        call = heard_bring(sending_app)
        call.press("2")
    assert CALLER not in caplog.text and CALLER.lstrip("+") not in caplog.text
    assert "outcome=text_sent" in caplog.text
    assert ElementTree.fromstring(call.xml).find("Gather") is not None


def test_the_callers_digits_are_not_kept_in_the_step_cache(sending_app, messages_api):
    from support import Call, Twilio

    call = Call(Twilio(sending_app.test_client()))
    call.params["CallSid"] = messages_api.start_call(CALLER, LINE_NUMBER)
    call.start()
    call.press("3")
    call.wait()
    prompts = sending_app.extensions["phone_line"].spoken_in("en-GB").script.prompt
    before = prompts.cache_info()
    call.press("2")  # "I've sent that to the number ending 0 4 5 6": built afresh, never cached
    after = prompts.cache_info()
    assert any(" ".join(CALLER[-4:]) in line for line in call.heard)
    assert (after.hits, after.misses, after.currsize) == (before.hits, before.misses, before.currsize)
