"""'Text me this' only to the caller of a live call, once per call and topic: signed "press 2" requests,
checked against a local stand-in for Twilio's Calls and Messages APIs.

The ledger here is tests/fake_twilio.MemoryLedger unless the app registers the usage database's
(branch `usage`): the app's own is used wherever it exists.
"""

import threading
import time

import pytest
from fake_twilio import ACCOUNT_SID, MemoryLedger, TwilioApi
from support import CALLER, LINE_NUMBER, TOKEN, Twilio, assert_valid_twiml

from app.transcript import transcript

OTHER = "+447700900789"  # another mobile number: not the caller
SEND_TIMEOUT = 1


@pytest.fixture
def api():
    """The stand-in for api.twilio.com, for one test."""
    server = TwilioApi(delay=SEND_TIMEOUT + 1.5)
    yield server
    server.close()


@pytest.fixture
def line(make_app, api):
    """The line with texting configured, its REST client pointed at the stand-in."""
    app = make_app(TWILIO_ACCOUNT_SID=ACCOUNT_SID, TWILIO_API_BASE_URL=api.url, SEND_TIMEOUT=SEND_TIMEOUT)
    app.extensions.setdefault("text_ledger", MemoryLedger())
    return app


def press_two(app, call_sid: str, topic: str = "bring", caller: str = CALLER, line_number: str = LINE_NUMBER):
    """The signed request Twilio sends when the caller presses 2 after a piece: (path, form, headers)."""
    path = f"/voice/after/{topic}"
    form = {"CallSid": call_sid, "From": caller, "To": line_number, "CallStatus": "in-progress", "Digits": "2"}
    signature = Twilio(None).validator.compute_signature(f"http://localhost{path}", form)
    return path, form, {"X-Twilio-Signature": signature}


def send(app, request) -> tuple[str, ...]:
    """POST a captured signed request (again, for a replay) and return what the caller hears."""
    path, form, headers = request
    response = app.test_client().post(path, data=form, headers=headers)
    assert response.status_code == 200
    xml = response.get_data(as_text=True)
    assert_valid_twiml(xml)
    turn = transcript(xml)
    assert turn.gather == f"{path}?sent=1" and turn.redirect, "the call goes on, with the choices"
    return turn.said


def test_the_first_press_sends_one_text_to_the_caller(line, api, content):
    sid = api.start_call(CALLER, LINE_NUMBER)
    said = send(line, press_two(line, sid))
    assert said[0] == "I've sent that to the number ending 0 4 5 6."
    assert [(m["To"], m["From"], m["Body"]) for m in api.received] == [(CALLER, LINE_NUMBER, content.texts["bring"])]
    assert ("GET", f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls/{sid}.json") in api.requests


def test_a_replay_of_the_same_signed_request_sends_nothing(line, api, content):
    request = press_two(line, api.start_call(CALLER, LINE_NUMBER))
    send(line, request)
    for _ in range(4):
        assert send(line, request)[0] == content.voice.not_sent
    assert len(api.received) == 1


def test_a_replay_after_the_call_has_ended_sends_nothing(line, api, content):
    sid = api.start_call(CALLER, LINE_NUMBER)
    request = press_two(line, sid)
    send(line, request)
    api.calls[sid]["status"] = "completed"
    assert send(line, request)[0] == content.voice.not_sent
    assert len(api.received) == 1


@pytest.mark.parametrize("status", ["completed", "ringing", "canceled", "busy", "no-answer", "failed", "queued"])
def test_a_call_that_is_not_in_progress_sends_nothing(line, api, content, status):
    request = press_two(line, api.start_call(CALLER, LINE_NUMBER, status=status))
    assert send(line, request)[0] == content.voice.not_sent
    assert api.received == []


def test_a_request_naming_another_number_than_the_calls_caller_sends_nothing(line, api, content):
    sid = api.start_call(OTHER, LINE_NUMBER)  # Twilio says this call is from OTHER
    assert send(line, press_two(line, sid, caller=CALLER))[0] == content.voice.not_sent
    assert api.received == []


def test_a_call_to_another_number_than_the_line_sends_nothing(line, api, content):
    sid = api.start_call(CALLER, "+447700900999")
    assert send(line, press_two(line, sid))[0] == content.voice.not_sent
    assert api.received == []


def test_a_call_twilio_does_not_know_sends_nothing(line, api, content):
    unknown = "CA" + "9" * 32  # Twilio answers 20404
    assert send(line, press_two(line, unknown))[0] == content.voice.not_sent
    assert api.received == []


def test_a_malformed_call_sid_never_reaches_the_rest_api(line, api, content):
    for bad in ("", "CA../../Messages", "CA" + "0" * 31, "XX" + "0" * 32):
        assert send(line, press_two(line, bad))[0] == content.voice.not_sent
    assert api.requests == []


@pytest.mark.parametrize("status", [500, 503])
def test_the_calls_api_failing_sends_nothing_and_the_call_goes_on(line, api, content, caplog, status):
    api.failures[("GET", "Calls")] = (status, {"code": 20500, "message": "Internal Server Error", "status": status})
    sid = api.start_call(CALLER, LINE_NUMBER)
    with caplog.at_level("INFO"):
        assert send(line, press_two(line, sid))[0] == content.voice.not_sent
    assert api.received == []
    assert "outcome=text_failed detail=failed:calls-20500" in caplog.text


def test_a_slow_calls_api_times_out_sends_nothing_and_the_call_goes_on(line, api, content):
    api.slow.add("Calls")
    sid = api.start_call(CALLER, LINE_NUMBER)
    started = time.monotonic()
    assert send(line, press_two(line, sid))[0] == content.voice.not_sent
    assert time.monotonic() - started < SEND_TIMEOUT + 1
    assert api.received == []


def test_twilio_unreachable_sends_nothing_and_the_call_goes_on(make_app, api, content):
    sid = api.start_call(CALLER, LINE_NUMBER)
    api.close()  # nothing listens there now: connection refused
    app = make_app(TWILIO_ACCOUNT_SID=ACCOUNT_SID, TWILIO_API_BASE_URL=api.url, SEND_TIMEOUT=SEND_TIMEOUT)
    app.extensions.setdefault("text_ledger", MemoryLedger())
    assert send(app, press_two(app, sid))[0] == content.voice.not_sent


def test_each_topic_can_be_texted_once_in_the_same_call(line, api, content):
    sid = api.start_call(CALLER, LINE_NUMBER)
    send(line, press_two(line, sid, topic="bring"))
    send(line, press_two(line, sid, topic="ask"))
    send(line, press_two(line, sid, topic="bring"))
    assert [m["Body"] for m in api.received] == [content.texts["bring"], content.texts["ask"]]


def test_the_cap_holds_across_workers_sharing_the_ledger(make_app, api, content, tmp_path):
    from app.usage import migrate
    from app.usage.store import Store

    url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"  # one database, as every worker and machine shares
    store = Store(url)
    migrate.upgrade(store)
    store.close()
    settings = {"TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_API_BASE_URL": api.url, "SEND_TIMEOUT": SEND_TIMEOUT}
    workers = [make_app(**settings, DATABASE_URL=url) for _ in range(3)]
    request = press_two(workers[0], api.start_call(CALLER, LINE_NUMBER))
    heard = []
    threads = [threading.Thread(target=lambda app=app: heard.append(send(app, request)[0])) for app in workers * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(api.received) == 1
    assert heard.count(content.voice.not_sent) == len(threads) - 1


def test_without_a_ledger_nothing_is_sent(make_app, api, content):
    app = make_app(TWILIO_ACCOUNT_SID=ACCOUNT_SID, TWILIO_API_BASE_URL=api.url, SEND_TIMEOUT=SEND_TIMEOUT)
    app.extensions.pop("text_ledger", None)
    assert send(app, press_two(app, api.start_call(CALLER, LINE_NUMBER)))[0] == content.voice.not_sent
    assert api.received == []


def test_a_ledger_that_breaks_sends_nothing(make_app, api, content):
    class Broken:
        def claim(self, call_sid: str, topic: str) -> bool:
            raise RuntimeError("database gone")

    app = make_app(TWILIO_ACCOUNT_SID=ACCOUNT_SID, TWILIO_API_BASE_URL=api.url, SEND_TIMEOUT=SEND_TIMEOUT)
    app.extensions["text_ledger"] = Broken()
    assert send(app, press_two(app, api.start_call(CALLER, LINE_NUMBER)))[0] == content.voice.not_sent
    assert api.received == []


def test_refusals_are_logged_without_the_number(line, api, caplog):
    request = press_two(line, api.start_call(CALLER, LINE_NUMBER))
    with caplog.at_level("DEBUG"):
        send(line, request)
        send(line, request)
    assert "outcome=text_sent" in caplog.text and "outcome=text_failed detail=refused:already-sent" in caplog.text
    assert CALLER not in caplog.text and CALLER.lstrip("+") not in caplog.text
    assert TOKEN not in caplog.text


def test_once_the_text_is_sent_the_choices_after_the_piece_no_longer_offer_it(line, api, content):
    """The step after the text carries sent=1: its choices, said again on silence, drop "by text"."""
    from support import Call, after_word, after_words

    call = Call(Twilio(line.test_client()))
    call.params["CallSid"] = api.start_call(CALLER, LINE_NUMBER)
    offered = call.step("/voice/after/bring").said
    assert after_word(content, "text") in offered, "the piece can be texted: the choices offer it first"
    call.step("/voice/after/bring", {"Digits": "2"})
    assert call.wait().said[-len(after_words(content)):] == after_words(content)
    assert after_word(content, "text") not in call.turn.said
    assert len(api.received) == 1
