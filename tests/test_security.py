"""Signatures, proxies, size limits, cookies and safe failure at the Twilio boundary."""

import logging

import pytest
from support import CALLER, LINE_NUMBER, TOKEN, Twilio, assert_valid_twiml
from twilio.request_validator import RequestValidator

from app.webhook import MAX_FIELDS

SMS = {"From": CALLER, "To": LINE_NUMBER, "Body": "FAQ", "MessageSid": "SM" + "a" * 32}
PUBLIC = "https://line.example.org"
PRODUCTION_TOKEN = "4f0c3a1e9b7d2c5a8e6f1b3d7a9c0e24"  # shaped like a Twilio auth token
PRODUCTION = {"LINE_ENV": "production", "TWILIO_AUTH_TOKEN": PRODUCTION_TOKEN, "PUBLIC_BASE_URL": PUBLIC}


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


def test_a_public_base_url_keeps_the_query_of_a_phone_step_in_the_signed_url(make_app):
    """Twilio signs a step's whole URL, query included (silence=1): rebuilt without it, every later step is a 403."""
    path = "/voice/menu/main?silence=1&wrong=2"
    params = {"CallSid": "CA" + "0" * 32, "From": CALLER, "To": LINE_NUMBER, "Digits": "1"}
    client = make_app(PUBLIC_BASE_URL="https://line.example.org").test_client()
    whole = client.post(path, data=params, base_url="http://127.0.0.1:8000",
                        headers={"X-Twilio-Signature": signature(f"https://line.example.org{path}", params)})
    assert whole.status_code == 200
    assert_valid_twiml(whole.get_data(as_text=True))
    cut = client.post(path, data=params, base_url="http://127.0.0.1:8000",
                      headers={"X-Twilio-Signature": signature("https://line.example.org/voice/menu/main", params)})
    assert cut.status_code == 403


def test_a_public_base_url_with_a_path_is_refused(make_app):
    from app.errors import StartupError

    with pytest.raises(StartupError, match="PUBLIC_BASE_URL"):
        make_app(PUBLIC_BASE_URL="https://line.example.org/sms")


def test_an_oversize_request_gets_413(client):
    body = {**SMS, "Body": "x" * (70 * 1024)}
    response = client.post("/sms", data=body, headers={"X-Twilio-Signature": signature("http://localhost/sms", body)})
    assert response.status_code == 413


def test_the_session_cookie_is_signed_httponly_samesite_and_secure_in_production(make_app):
    app = make_app(**PRODUCTION)
    response = Twilio(app.test_client(), token=PRODUCTION_TOKEN).post("/sms", SMS, url=f"{PUBLIC}/sms")
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

    monkeypatch.setattr(app.extensions["matchers"]["en-GB"], "decide", broken)
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
    monkeypatch.setattr(app.extensions["matchers"]["en-GB"], "decide", lambda text: 1 / 0)
    response = Twilio(app.test_client()).sms("my private question")
    assert response.status_code == 200
    assert content.replies["error"][0] in response.get_data(as_text=True)
    assert "private" not in response.get_data(as_text=True)


def test_when_even_the_apology_fails_twilio_still_gets_valid_twiml(served_app, monkeypatch):
    app, twilio = served_app, Twilio(served_app.test_client())
    monkeypatch.setattr(app.extensions["matchers"]["en-GB"], "decide", lambda text: 1 / 0)
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


def test_in_production_the_host_a_request_claims_is_never_what_is_signed(make_app):
    client = make_app(**PRODUCTION, PROXY_HOPS=1).test_client()
    forged_host = {"Host": "other-app.example", "X-Forwarded-Host": "other-app.example", "X-Forwarded-Proto": "https"}
    for url in ("https://other-app.example/sms", "http://other-app.example/sms"):
        headers = {"X-Twilio-Signature": signature(url, SMS, PRODUCTION_TOKEN), **forged_host}
        assert client.post("/sms", data=SMS, headers=headers).status_code == 403
    headers = {"X-Twilio-Signature": signature(f"{PUBLIC}/sms", SMS, PRODUCTION_TOKEN), **forged_host}
    assert client.post("/sms", data=SMS, headers=headers).status_code == 200


# Twilio's webhooks as its documentation lists their fields (every optional one present), each as
# long as Twilio makes it: what the cheap limits must always let through, with room to spare.
def twilio_sms(**extra: str) -> dict:
    """An incoming SMS with every field Twilio documents, a 1,600-character body of emoji included."""
    place = {f"{side}{part}": value for side in ("From", "To") for part, value in
             (("City", "LONDON"), ("State", ""), ("Zip", ""), ("Country", "GB"))}
    sid = "SM" + "0123456789abcdef" * 2
    return {"MessageSid": sid, "SmsSid": sid, "SmsMessageSid": sid, "AccountSid": "AC" + "1" * 32,
            "MessagingServiceSid": "MG" + "2" * 32, "From": CALLER, "To": LINE_NUMBER, "Body": "\U0001F642" * 1600,
            "NumMedia": "0", "NumSegments": "10", "SmsStatus": "received", "ApiVersion": "2010-04-01",
            "ReferralNumMedia": "0", **place, **extra}


def twilio_whatsapp() -> dict:
    """An incoming WhatsApp message with ten pictures, a reply, a button, a location and a referral."""
    media = {f"Media{kind}{n}": value for n in range(10) for kind, value in (
        ("Url", f"https://api.twilio.com/2010-04-01/Accounts/AC{'1' * 32}/Messages/MM{'3' * 32}/Media/ME{'4' * 32}"),
        ("ContentType", "image/jpeg"))}
    whatsapp = {"ProfileName": "A Patient", "WaId": CALLER[1:], "Forwarded": "true", "FrequentlyForwarded": "false",
                "ButtonText": "Menu", "ButtonPayload": "menu", "MessageType": "text", "Latitude": "51.5",
                "Longitude": "-0.12", "Address": "1 Street, London", "Label": "Clinic",
                "OriginalRepliedMessageSender": f"whatsapp:{LINE_NUMBER}", "OriginalRepliedMessageSid": "SM" + "5" * 32,
                "ReferralBody": "x" * 200, "ReferralHeadline": "x" * 60, "ReferralSourceId": "1" * 16,
                "ReferralSourceType": "ad", "ReferralSourceUrl": "https://fb.me/" + "x" * 20,
                "ReferralMediaId": "1" * 16, "ReferralMediaContentType": "image/jpeg",
                "ReferralMediaUrl": "https://example.org/" + "x" * 60, "ReferralCtwaClid": "x" * 100,
                "ChannelMetadata": '{"type":"whatsapp","data":{"context":{"ProfileName":"A Patient"}}}'}
    return twilio_sms(From=f"whatsapp:{CALLER}", To=f"whatsapp:{LINE_NUMBER}", NumMedia="10", **media, **whatsapp)


def twilio_call_step() -> dict:
    """A call's Gather result with speech, keys, caller name, STIR/SHAKEN and forwarding fields."""
    place = {f"{who}{part}": value for who in ("From", "To", "Caller", "Called") for part, value in
             (("City", "LONDON"), ("State", ""), ("Zip", ""), ("Country", "GB"))}
    return {"CallSid": "CA" + "6" * 32, "AccountSid": "AC" + "1" * 32, "From": CALLER, "To": LINE_NUMBER,
            "Caller": CALLER, "Called": LINE_NUMBER, "CallStatus": "in-progress", "Direction": "inbound",
            "ApiVersion": "2010-04-01", "CallToken": "x" * 400, "CallerName": "A PATIENT", "ForwardedFrom": CALLER,
            "ParentCallSid": "CA" + "7" * 32, "StirVerstat": "TN-Validation-Passed-A", "StirPassportToken": "x" * 600,
            "AddOns": '{"status":"successful","results":{}}', "Digits": "1", "FinishedOnKey": "",
            "SpeechResult": "what should I bring " * 25, "Confidence": "0.92", "Language": "en-GB", "msg": "Gather End",
            **place}


def twilio_call_status() -> dict:
    """A call's status callback, with every duration, timestamp and recording field."""
    return {**{k: v for k, v in twilio_call_step().items() if k not in ("Digits", "SpeechResult", "msg")},
            "CallStatus": "completed", "CallDuration": "95", "Duration": "2",
            "Timestamp": "Tue, 01 Dec 2026 22:00:00 +0000",
            "CallbackSource": "call-progress-events", "SequenceNumber": "3", "SipResponseCode": "200",
            "RecordingUrl": "https://api.twilio.com/x", "RecordingSid": "RE" + "8" * 32, "RecordingDuration": "90"}


REAL_REQUESTS = {
    "sms": ("/sms", twilio_sms()),
    "whatsapp": ("/sms", twilio_whatsapp()),
    "call step": ("/voice/after/bring?silence=0&wrong=0&sent=0", twilio_call_step()),
    "call status": ("/voice/menu/main?silence=1&wrong=0&sent=0", twilio_call_status()),
}


@pytest.mark.parametrize("kind", REAL_REQUESTS)
def test_twilios_richest_real_requests_pass_the_cheap_limits_with_room_to_spare(app, kind):
    import urllib.parse

    from app.webhook import MAX_FIELDS

    path, params = REAL_REQUESTS[kind]
    query = urllib.parse.urlsplit(path).query
    fields = len(params) + (query.count("&") + 1 if query else 0)
    size = len(urllib.parse.urlencode(params))
    assert fields * 2 <= MAX_FIELDS, f"{kind}: {fields} fields"
    assert size * 2 <= app.config["MAX_CONTENT_LENGTH"], f"{kind}: {size} bytes"
    response = Twilio(app.test_client()).post(path, params)
    assert response.status_code == 200
    assert_valid_twiml(response.get_data(as_text=True), messaging=path == "/sms")


def test_many_fields_are_refused_cheaply_before_the_signature_is_computed(client, caplog):
    import urllib.parse

    from app.webhook import MAX_FIELDS

    crowd = "&".join(["="] * 9000)  # the attack: 62 KB of empty parameters
    barely = urllib.parse.urlencode([(f"f{n}", "") for n in range(MAX_FIELDS + 1 - len(SMS))] + list(SMS.items()))
    with caplog.at_level(logging.INFO, logger="line"):
        for body in (crowd, barely):
            response = client.post("/sms", data=body, content_type="application/x-www-form-urlencoded",
                                   headers={"X-Twilio-Signature": "anything"})
            assert response.status_code == 400
            assert len(response.data) < 64
    assert [record.getMessage().count("outcome=refused-400") for record in caplog.records] == [1, 1]
    assert "forbidden" not in caplog.text  # no signature was checked


@pytest.mark.parametrize(("in_body", "in_query"), [(MAX_FIELDS, 0), (0, MAX_FIELDS), (MAX_FIELDS - 28, 28)])
def test_the_field_limit_lets_exactly_max_fields_through_and_refuses_one_more(app, in_body, in_query):
    """The limit counts body and query fields alike, to the field: MAX_FIELDS signed fields are answered."""
    twilio = Twilio(app.test_client())
    for extra, status in ((0, 200), (1, 400)):
        query = "&".join(f"q{n}=1" for n in range(in_query + (extra if in_query else 0)))
        form = {f"f{n}": "" for n in range(in_body + (extra if not in_query else 0))}
        path = "/voice/menu/main" + (f"?{query}" if query else "")
        assert twilio.post(path, form).status_code == status, (in_body, in_query, extra)


def test_fields_in_the_query_count_too(client):
    from app.webhook import MAX_FIELDS

    query = "&".join(f"q{n}=1" for n in range(MAX_FIELDS))
    response = client.post(f"/voice/menu/main?{query}", data={"From": CALLER}, headers={"X-Twilio-Signature": "x"})
    assert response.status_code == 400


def test_an_oversize_request_is_refused_with_a_tiny_answer_and_logged(client, caplog):
    body = {**SMS, "Body": "x" * (70 * 1024)}
    with caplog.at_level(logging.INFO, logger="line"):
        signed = {"X-Twilio-Signature": signature("http://localhost/sms", body)}
        response = client.post("/sms", data=body, headers=signed)
    assert response.status_code == 413
    assert len(response.data) < 64
    assert "outcome=refused-413" in caplog.text


def test_a_body_that_is_not_a_form_is_refused(client):
    response = client.post("/sms", data='{"Body": "FAQ"}', content_type="application/json",
                           headers={"X-Twilio-Signature": signature("http://localhost/sms", {})})
    assert response.status_code == 415


def test_a_text_is_read_to_1600_characters_by_sms_and_the_try_it_panel_alike(twilio, client, content):
    text = "." * 1600 + " BRING"  # the keyword after Twilio's limit: no real text puts it there
    by_sms = twilio.message(text)
    by_panel = client.post("/try/text", data={"message": text}, headers={"Accept": "application/json"}).get_json()
    assert by_sms == by_panel["reply"] == content.replies["not_understood"][0]
    assert twilio.message("." * 1594 + " BRING") == content.replies["bring"][0]


def test_speech_is_read_to_the_same_length_on_the_phone_and_in_the_try_it_panel(twilio, client):
    from support import Call

    words = "." * 400 + " what should I bring"
    call = Call(twilio)
    call.start()
    phone = call.say(words).said
    panel = client.post("/try/call", data={"step": "/voice/menu/main", "SpeechResult": words},
                        headers={"Accept": "application/json"}).get_json()["said"]
    assert phone[0] == panel[0]
    assert "bring" in phone[0].lower()


def cookie_value(response, name: str) -> str:
    """The value a response sets for one cookie."""
    for header in response.headers.getlist("Set-Cookie"):
        if header.startswith(f"{name}="):
            return header.split(";")[0].split("=", 1)[1]
    raise AssertionError(f"no {name} cookie in {response.headers.getlist('Set-Cookie')}")


def test_a_cookie_from_the_try_it_panel_cannot_be_replayed_on_sms(make_app, content):
    app = make_app()
    panel = app.test_client().post("/try/text", data={"message": "FAQ"}, headers={"Accept": "application/json"})
    minted = panel.headers["Set-Cookie"].split(";")[0].split("=", 1)[1]
    assert not panel.headers["Set-Cookie"].startswith("session=")
    replayed = app.test_client()
    replayed.set_cookie("session", minted, domain="localhost")
    assert Twilio(replayed).message("2") == content.replies["not_understood"][0]

    sms_cookie = cookie_value(Twilio(app.test_client()).sms("FAQ"), "session")
    back = app.test_client()
    back.set_cookie(panel.headers["Set-Cookie"].split("=", 1)[0], sms_cookie, domain="localhost")
    answer = back.post("/try/text", data={"message": "2"}, headers={"Accept": "application/json"}).get_json()
    assert answer["reply"] == content.replies["not_understood"][0]


@pytest.mark.parametrize(("age_hours", "kept"), [(3.9, True), (4.1, False), (24 * 365, False), (-1, False)])
def test_the_session_cookie_expires_four_hours_after_it_was_issued(app, content, age_hours, kept):
    import time

    interface = app.session_interface
    cookie = interface.encode(interface.sms, {"list": "faq"}, issued=time.time() - age_hours * 3600)
    client = app.test_client()
    client.set_cookie("session", cookie, domain="localhost")
    expected = content.replies["faq2"][0] if kept else content.replies["not_understood"][0]
    assert Twilio(client).message("2") == expected


def test_a_signed_cookie_without_an_issue_time_is_ignored(app, content):
    import base64
    import json

    interface = app.session_interface
    payload = base64.urlsafe_b64encode(json.dumps({"list": "faq"}).encode()).rstrip(b"=")
    undated = (payload + b"." + interface.signature(interface.sms.key, payload)).decode()
    client = app.test_client()
    client.set_cookie("session", undated, domain="localhost")
    assert Twilio(client).message("2") == content.replies["not_understood"][0]


def test_a_cookie_whose_state_was_changed_under_our_signature_is_ignored(app, content):
    """The signature covers the state: our own signature moved onto another state (FAQ's list) carries nothing."""
    import base64
    import json
    import time

    client = app.test_client()
    assert Twilio(client).message("BRING") == content.replies["bring"][0]
    signature = client.get_cookie("session").value.rpartition(".")[2]
    state = {"locale": "en-GB", "list": "faq", "t": int(time.time())}  # well formed, dated now, a real list
    payload = base64.urlsafe_b64encode(json.dumps(state, separators=(",", ":")).encode()).rstrip(b"=").decode()
    client.set_cookie("session", f"{payload}.{signature}", domain="localhost")
    assert Twilio(client).message("2") == content.replies["not_understood"][0]
    interface = app.session_interface  # the control: the same state under its own signature is followed
    own = interface.encode(interface.sms, {"locale": "en-GB", "list": "faq"})
    client.set_cookie("session", own, domain="localhost")
    assert Twilio(client).message("2") == content.replies["faq2"][0]


def test_a_cookie_that_unquotes_to_a_character_beyond_latin_1_is_ignored_on_sms_and_the_panel(app, content):
    """A cookie's octal escapes can spell any character (the test client sends "€" as "\\342\\202\\254"): a stranger."""
    patient = app.test_client()
    patient.set_cookie("session", "€", domain="localhost")
    assert Twilio(patient).message("BRING") == content.replies["bring"][0]
    visitor = app.test_client()
    visitor.set_cookie("session_try", "€", domain="localhost")
    panel = visitor.post("/try/text", data={"message": "BRING"}, headers={"Accept": "application/json"})
    assert panel.status_code == 200
    assert panel.get_json()["reply"] == content.replies["bring"][0]


def test_pages_carry_hsts_in_production_only_and_twiml_never(make_app):
    production = make_app(**PRODUCTION).test_client()
    page = production.get("/", base_url=PUBLIC)
    assert page.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert production.get("/card", base_url=PUBLIC).headers["Strict-Transport-Security"]
    twiml = Twilio(production, token=PRODUCTION_TOKEN).post("/sms", SMS, url=f"{PUBLIC}/sms")
    assert "Strict-Transport-Security" not in twiml.headers
    assert "Strict-Transport-Security" not in make_app().test_client().get("/").headers
