"""Signatures, proxies, size limits, cookies and safe failure at the Twilio boundary."""

import logging

import pytest
from support import CALLER, LINE_NUMBER, SECRET, TOKEN, Twilio, assert_valid_twiml
from twilio.request_validator import RequestValidator

SMS = {"From": CALLER, "To": LINE_NUMBER, "Body": "FAQ", "MessageSid": "SM" + "a" * 32}


def signature(url: str, params: dict, token: str = TOKEN) -> str:
    """What Twilio would send for this URL and these parameters."""
    return RequestValidator(token).compute_signature(url, params)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Twilio-Signature": ""},
        {"X-Twilio-Signature": "not-a-signature"},
        {"X-Twilio-Signature": signature("http://localhost/sms", SMS, token="another-token")},
        {"X-Twilio-Signature": signature("http://localhost/voice", SMS)},
        {"X-Twilio-Signature": signature("http://localhost/sms", {**SMS, "Body": "something else"})},
    ],
    ids=["missing", "empty", "garbage", "wrong-token", "wrong-url", "tampered-body"],
)
def test_unsigned_or_forged_requests_get_403(client, headers):
    response = client.post("/sms", data=SMS, headers=headers)
    assert response.status_code == 403
    assert b"<Message" not in response.data


def test_the_check_holds_in_debug_mode_too(make_app):
    app = make_app(DEBUG=True)
    assert app.test_client().post("/sms", data=SMS).status_code == 403


def test_a_signature_for_https_fails_behind_a_proxy_unless_configured(make_app):
    url = "https://line.example.org/sms"
    headers = {"X-Twilio-Signature": signature(url, SMS), "X-Forwarded-Proto": "https",
               "X-Forwarded-Host": "line.example.org"}
    unconfigured = make_app().test_client()
    response = unconfigured.post("/sms", data=SMS, headers=headers, base_url="http://line.example.org")
    assert response.status_code == 403, "forwarded headers are not trusted unless configured"

    behind_proxy = make_app(PROXY_HOPS=1).test_client()
    response = behind_proxy.post("/sms", data=SMS, headers=headers, base_url="http://10.0.0.5:8000")
    assert response.status_code == 200
    assert b"<Message>" in response.data


def test_a_public_base_url_rebuilds_the_signed_url_whatever_the_headers_say(make_app):
    url = "https://line.example.org/sms"
    client = make_app(PUBLIC_BASE_URL="https://line.example.org").test_client()
    good = client.post("/sms", data=SMS, headers={"X-Twilio-Signature": signature(url, SMS)},
                       base_url="http://127.0.0.1:8000")
    assert good.status_code == 200
    spoofed = client.post("/sms", data=SMS, base_url="http://127.0.0.1:8000",
                          headers={"X-Twilio-Signature": signature("https://evil.example/sms", SMS),
                                   "X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"})
    assert spoofed.status_code == 403


def test_a_public_base_url_with_a_path_is_refused(make_app):
    from app.errors import StartupError

    with pytest.raises(StartupError, match="PUBLIC_BASE_URL"):
        make_app(PUBLIC_BASE_URL="https://line.example.org/sms")


def test_an_oversize_request_gets_413(client):
    body = {**SMS, "Body": "x" * (70 * 1024)}
    response = client.post("/sms", data=body, headers={"X-Twilio-Signature": signature("http://localhost/sms", body)})
    assert response.status_code == 413


def test_the_session_cookie_is_signed_httponly_samesite_and_secure_in_production(make_app, monkeypatch):
    monkeypatch.setenv("LINE_ENV", "production")
    app = make_app(TWILIO_AUTH_TOKEN=TOKEN, SECRET_KEY=SECRET)
    response = Twilio(app.test_client()).sms("FAQ")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=Lax" in cookie
    assert CALLER not in cookie


def test_the_session_cookie_is_not_secure_in_development_so_local_http_works(twilio):
    cookie = twilio.sms("FAQ").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "Secure" not in cookie


@pytest.fixture
def served_app(make_app):
    """The app as served (not TESTING, so errors reach the error handlers instead of the test)."""
    return make_app(TESTING=False)


def test_an_internal_error_in_the_sms_webhook_gets_an_apology_not_a_500(served_app, content, monkeypatch, caplog):
    app, twilio = served_app, Twilio(served_app.test_client())

    def broken(text):
        raise RuntimeError(f"simulated fault while reading {text!r}")

    monkeypatch.setattr(app.extensions["matchers"]["en-GB"], "match", broken)
    with caplog.at_level(logging.INFO, logger="line"):
        response = twilio.sms("a private question about my cancer")
    assert response.status_code == 200
    root = assert_valid_twiml(response.get_data(as_text=True), messaging=True)
    assert [m.text for m in root.findall("Message")] == [content.replies["error"][0]]
    assert content.replies["error"][0].endswith(content.sms.disclaimer)
    logged = caplog.text
    assert "outcome=error" in logged and "RuntimeError" in logged and "request_id=" in logged
    assert "cancer" not in logged and CALLER not in logged


def test_debug_mode_still_answers_an_error_with_twiml_not_a_debugger_page(make_app, content, monkeypatch):
    app = make_app(DEBUG=True)
    monkeypatch.setattr(app.extensions["matchers"]["en-GB"], "match", lambda text: 1 / 0)
    response = Twilio(app.test_client()).sms("my private question")
    assert response.status_code == 200
    assert content.replies["error"][0] in response.get_data(as_text=True)
    assert "private" not in response.get_data(as_text=True)


def test_when_even_the_apology_fails_twilio_still_gets_valid_twiml(served_app, monkeypatch):
    app, twilio = served_app, Twilio(served_app.test_client())
    monkeypatch.setattr(app.extensions["matchers"]["en-GB"], "match", lambda text: 1 / 0)
    monkeypatch.delitem(app.extensions, "sms_apology")
    response = twilio.sms("FAQ")
    assert response.status_code == 200
    assert_valid_twiml(response.get_data(as_text=True), messaging=True)


def test_logs_carry_topic_outcome_request_id_and_a_masked_number_only(twilio, content, caplog):
    texts = ["MENU", "when is it worth it", "ASK", "what should I bring", "MORE", "FAQ", "1", "2", "3", "FACTS",
             "HELP", "thank you", "I have chest pain", "STOP", "Stop.", "gibberish words here"]
    with caplog.at_level(logging.INFO, logger="line"):
        for text in texts:
            twilio.sms(text)
    lines = [record.getMessage() for record in caplog.records if record.name == "line"]
    assert len(lines) == len(texts)
    for line in lines:
        assert "channel=sms" in line and "served=" in line and "outcome=" in line and "request_id=" in line
        assert "from=...56" in line
    logged = "\n".join(lines)
    digits = CALLER.lstrip("+")
    assert digits not in logged and digits[-4:] not in logged
    for text in texts:
        if len(text) > 3 and text.upper() not in {"MENU", "HELP", "FAQS", "MORE", "STOP"}:
            assert text not in logged, f"message body {text!r} leaked into the logs"


def test_a_call_through_every_topic_logs_no_speech_and_no_number(twilio, content, caplog):
    from support import Call

    spoken = ["what should I bring with me", "will my doctor mind", "how do I ask politely",
              "is it covered by my insurance", "when is it worth getting one", "I have chest pain"]
    with caplog.at_level(logging.INFO, logger="line"):
        call = Call(twilio)
        call.start()
        for key in "1234":  # every main-menu piece, then the FAQ submenu and each answer
            call.press(key)
            if key == "4":
                for answer in "123":
                    call.press(answer)
                    call.wait()  # the piece plays to its end, then the disclaimer and the choices
                    call.press("*")
                    call.press("4")
                call.press("*")
                continue
            call.wait()
            call.press("*")
        call.press("0")
        for words in spoken:
            call.say(words)
            call.wait()
            call.press("*")
    lines = [record.getMessage() for record in caplog.records if record.name == "line"]
    assert any("channel=voice" in line and "served=bring" in line for line in lines)
    assert any("served=emergency" in line for line in lines)
    logged = "\n".join(lines)
    digits = CALLER.lstrip("+")
    assert digits not in logged and digits[-4:] not in logged
    for words in spoken:
        assert words not in logged
    for word in ("should", "politely", "insurance", "mind", "worth", "chest"):  # said, never a topic name
        assert word not in logged


@pytest.mark.parametrize("path", ["/sms", "/voice", "/voice/menu/main", "/voice/menu/faq?silence=1",
                                  "/voice/end/bring", "/voice/after/ask?wrong=2", "/voice/anything/else"])
def test_every_webhook_refuses_a_forged_signature(client, path):
    from hypothesis import given, settings
    from hypothesis import strategies as st

    @settings(max_examples=25)
    @given(forged=st.text(min_size=1, max_size=40).filter(lambda text: text.isprintable() and text.isascii()),
           body=st.text(max_size=50))
    def forged_is_refused(forged, body):
        params = {"From": CALLER, "To": LINE_NUMBER, "Body": body, "Digits": "1"}
        assert client.post(path, data=params, headers={"X-Twilio-Signature": forged}).status_code == 403

    forged_is_refused()
    valid = signature(f"http://localhost{path}", {"From": CALLER})
    assert client.post(path, data={"From": CALLER}, headers={"X-Twilio-Signature": valid}).status_code == 200


def test_nothing_a_caller_says_or_presses_is_spoken_back(client):
    from hypothesis import given, settings
    from hypothesis import strategies as st

    steps = ["/voice/menu/main", "/voice/menu/faq", "/voice/after/bring", "/voice/end/ask", "/voice/nowhere"]

    @settings(max_examples=60)
    @given(step=st.sampled_from(steps), said=st.text("abcdefghijklmnopqrstuvwxyz <>&'", min_size=3, max_size=60),
           digits=st.none() | st.text("0123456789*#abc<>", max_size=12))
    def never_echoed(step, said, digits):
        marker = f"zqxj{said}"  # a word no content contains, so finding it means the input came back
        params = {"From": CALLER, "To": LINE_NUMBER, "SpeechResult": marker, "Confidence": "0.95"}
        if digits is not None:  # with no Digits the line reads the speech; with them, the keys
            params["Digits"] = f"zqxj{digits}"
        response = client.post(step, data=params, headers={"X-Twilio-Signature": signature(
            f"http://localhost{step}", params)})
        assert response.status_code == 200
        assert "zqxj" not in response.get_data(as_text=True)

    never_echoed()


def test_a_session_cookie_from_another_secret_key_is_ignored_and_from_ours_is_kept(make_app, content):
    ours, theirs = make_app(), make_app(SECRET_KEY="another-secret-key-that-is-long-enough-9876543210")
    cookie = Twilio(theirs.test_client()).sms("FAQ").headers["Set-Cookie"].split(";")[0].split("=", 1)[1]
    stranger = ours.test_client()
    stranger.set_cookie("session", cookie, domain="localhost")
    assert Twilio(stranger).message("2") == content.replies["not_understood"][0]

    friend = ours.test_client()
    own = Twilio(ours.test_client()).sms("FAQ").headers["Set-Cookie"].split(";")[0].split("=", 1)[1]
    friend.set_cookie("session", own, domain="localhost")
    assert Twilio(friend).message("2") == content.replies["faq2"][0]


def test_the_session_cookie_lives_as_long_as_twilio_keeps_it(twilio):
    cookie = twilio.sms("FAQ").headers["Set-Cookie"]
    assert "Max-Age=14400" in cookie
