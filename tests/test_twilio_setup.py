"""`flask --app app twilio connect|check|fallback-twiml`, through the real CLI, against a local stand-in for
Twilio's IncomingPhoneNumbers API (tests/fake_twilio.py) with its real error bodies."""

import pytest
from fake_twilio import ACCOUNT_SID, API_KEY, API_SECRET, TwilioApi
from support import LINE_NUMBER, TOKEN, Served, assert_valid_twiml

from app import gsm
from app.transcript import transcript

BASE = "https://line.example.org"
FALLBACK = "https://static.example.net/fallback"
GOOD = {  # a number set up as connect leaves it
    "sms_url": f"{BASE}/sms",
    "sms_method": "POST",
    "voice_url": f"{BASE}/voice",
    "voice_method": "POST",
    "status_callback": f"{BASE}/voice/status",
    "status_callback_method": "POST",
    "sms_fallback_url": f"{FALLBACK}/sms.xml",
    "sms_fallback_method": "GET",
    "voice_fallback_url": f"{FALLBACK}/voice.xml",
    "voice_fallback_method": "GET",
}
SECRETS = (TOKEN, API_SECRET)


@pytest.fixture
def api():
    """The stand-in for api.twilio.com, for one test."""
    server = TwilioApi()
    yield server
    server.close()


@pytest.fixture
def run(make_app, api):
    """Run `flask twilio ...` on a line whose REST client points at the stand-in; returns the click result."""

    def invoke(*args, env=None, **settings):
        app = make_app(**{"TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_API_BASE_URL": api.url, **settings})
        result = app.test_cli_runner().invoke(args=["twilio", *args], env=env)
        for secret in SECRETS:
            assert secret not in result.output, "a secret was printed"
        return result

    return invoke


def one_error_line(result) -> str:
    """The single 'Error: ...' line a failed command prints, checked to be just one line."""
    assert result.exit_code == 1, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    assert "Traceback" not in result.output
    return lines[0]


# connect


def test_connect_sets_every_url_in_one_update_and_prints_before_and_after(run, api):
    sid = api.add_number(LINE_NUMBER, sms_url="https://demo.twilio.com/welcome/sms/reply", sms_method="GET")
    result = run("connect", LINE_NUMBER, "--base-url", BASE + "/", "--fallback-url", FALLBACK)
    assert result.exit_code == 0, result.output
    assert api.updates() == [f"/2010-04-01/Accounts/{ACCOUNT_SID}/IncomingPhoneNumbers/{sid}.json"]
    number = api.numbers[sid]
    assert {name: number[name] for name in GOOD} == GOOD
    assert f"SMS URL (A message comes in): https://demo.twilio.com/welcome/sms/reply -> {BASE}/sms" in result.output
    assert "SMS method: GET -> POST" in result.output
    assert f"Voice fallback URL: (none) -> {FALLBACK}/voice.xml" in result.output
    assert "Voice method: POST (unchanged)" in result.output


def test_connect_writes_the_urls_fallback_twiml_writes(run, api, tmp_path):
    sid = api.add_number(LINE_NUMBER)
    run("fallback-twiml", "--out", str(tmp_path))
    run("connect", LINE_NUMBER, "--base-url", BASE, "--fallback-url", FALLBACK)
    written = sorted(path.name for path in tmp_path.iterdir())
    urls = sorted(api.numbers[sid][f"{channel}_fallback_url"].rsplit("/", 1)[1] for channel in ("sms", "voice"))
    assert written == urls == ["sms.xml", "voice.xml"]


def test_connect_takes_two_fallback_urls_such_as_twiml_bins(run, api):
    sid = api.add_number(LINE_NUMBER)
    bins = ("https://handler.twilio.com/twiml/EH" + "a" * 32, "https://handler.twilio.com/twiml/EH" + "b" * 32)
    result = run(
        "connect", LINE_NUMBER, "--base-url", BASE, "--sms-fallback-url", bins[0], "--voice-fallback-url", bins[1]
    )
    assert result.exit_code == 0, result.output
    assert (api.numbers[sid]["sms_fallback_url"], api.numbers[sid]["voice_fallback_url"]) == bins


def test_connect_on_a_connected_number_changes_nothing(run, api):
    api.add_number(LINE_NUMBER, **GOOD)
    result = run("connect", LINE_NUMBER, "--base-url", BASE, "--fallback-url", FALLBACK)
    assert result.exit_code == 0 and "nothing to change" in result.output
    assert api.updates() == []


def test_connect_without_a_fallback_keeps_the_numbers_and_says_what_is_missing(run, api):
    sid = api.add_number(LINE_NUMBER, voice_fallback_url="https://backup.example.com/voice.xml")
    result = run("connect", LINE_NUMBER, "--base-url", BASE)
    assert result.exit_code == 0, result.output
    assert api.numbers[sid]["voice_fallback_url"] == "https://backup.example.com/voice.xml"
    assert "No fallback given" in result.output


def test_connect_works_with_an_api_key_instead_of_the_auth_token(run, api):
    sid = api.add_number(LINE_NUMBER)
    api.credentials = {API_KEY: API_SECRET}  # the auth token no longer works: only the key can succeed
    result = run(
        "connect", LINE_NUMBER, "--base-url", BASE, env={"TWILIO_API_KEY": API_KEY, "TWILIO_API_SECRET": API_SECRET}
    )
    assert result.exit_code == 0, result.output
    assert api.numbers[sid]["sms_url"] == f"{BASE}/sms"


@pytest.mark.parametrize(
    "base, says",
    [
        ("http://line.example.org", "uses http://"),
        ("https://localhost", "only this machine or its local network knows"),
        ("https://localhost:8443", "only this machine or its local network knows"),
        ("https://line.localhost", "only this machine or its local network knows"),
        ("https://printer.local", "only this machine or its local network knows"),
        ("https://intranet", "only this machine or its local network knows"),
        ("https://127.0.0.1", "private or loopback address"),
        ("https://[::1]", "private or loopback address"),
        ("https://10.0.0.5", "private or loopback address"),
        ("https://192.168.1.20", "private or loopback address"),
        ("https://172.16.0.1", "private or loopback address"),
        ("https://169.254.169.254", "private or loopback address"),
        ("ftp://line.example.org", "not an https:// address"),
        ("https://line.example.org/line", "the line's address only"),
    ],
)
def test_connect_refuses_a_base_url_twilio_cannot_use_before_asking_twilio(run, api, base, says):
    api.add_number(LINE_NUMBER)
    line = one_error_line(run("connect", LINE_NUMBER, "--base-url", base))
    assert says in line
    assert api.requests == [], "refused before any request"


def test_connect_refuses_a_base_url_other_than_public_base_url(run, api):
    api.add_number(LINE_NUMBER)
    result = run("connect", LINE_NUMBER, "--base-url", "https://other.example.org", PUBLIC_BASE_URL=BASE)
    assert "is not PUBLIC_BASE_URL" in one_error_line(result) and "403" in result.output
    assert api.requests == []
    assert run("connect", LINE_NUMBER, "--base-url", "https://LINE.example.org/", PUBLIC_BASE_URL=BASE).exit_code == 0


@pytest.mark.parametrize(
    "args, says",
    [
        (["--fallback-url", "http://static.example.net"], "uses http://"),
        (["--fallback-url", "https://10.1.2.3/fallback"], "private or loopback address"),
        (["--fallback-url", f"{BASE}/fallback"], "on the line's own host"),
        (["--sms-fallback-url", "https://a.example.net/s.xml"], "give both"),
        (["--fallback-url", FALLBACK, "--sms-fallback-url", "https://a.example.net/s.xml"], "not both"),
    ],
)
def test_connect_refuses_a_fallback_that_could_not_help(run, api, args, says):
    api.add_number(LINE_NUMBER)
    assert says in one_error_line(run("connect", LINE_NUMBER, "--base-url", BASE, *args))
    assert api.requests == []


@pytest.mark.parametrize(
    "fields, says",
    [
        ({"sms_application_sid": "MG" + "3" * 32}, "Messaging Service MG"),
        ({"sms_application_sid": "AP" + "4" * 32}, "texts go to TwiML application AP"),
        ({"voice_application_sid": "AP" + "5" * 32}, "calls go to TwiML application AP"),
        ({"trunk_sid": "TK" + "6" * 32}, "SIP trunk TK"),
    ],
)
def test_connect_refuses_a_number_whose_urls_something_else_overrides(run, api, fields, says):
    sid = api.add_number(LINE_NUMBER, **fields)
    before = dict(api.numbers[sid])
    line = one_error_line(run("connect", LINE_NUMBER, "--base-url", BASE))
    assert says in line and "nothing was changed" in line
    assert api.updates() == [] and api.numbers[sid] == before


# Bad input: one clear line, a non-zero exit, nothing half-changed.


def test_an_unknown_number_is_named(run, api):
    api.add_number("+447700900999")
    line = one_error_line(run("connect", LINE_NUMBER, "--base-url", BASE))
    assert f"{LINE_NUMBER} is not a number of Twilio account {ACCOUNT_SID}" in line
    assert api.updates() == []
    assert one_error_line(run("check", LINE_NUMBER)) == line


def test_wrong_credentials_say_which_settings_to_check(run, api):
    api.add_number(LINE_NUMBER)
    api.credentials = {ACCOUNT_SID: "another-token"}  # Twilio answers 401 with its 20003 body
    for command in (["connect", LINE_NUMBER, "--base-url", BASE], ["check", LINE_NUMBER]):
        line = one_error_line(run(*command))
        assert "refused the credentials (error 20003)" in line and "TWILIO_AUTH_TOKEN" in line
    assert api.updates() == []


def test_wrong_api_key_credentials_are_not_printed(run, api):
    api.add_number(LINE_NUMBER)
    result = run("check", LINE_NUMBER, env={"TWILIO_API_KEY": API_KEY, "TWILIO_API_SECRET": "wrong-" + API_SECRET})
    assert "error 20003" in one_error_line(result)
    assert "wrong-" not in result.output


@pytest.mark.parametrize(
    "env, settings, says",
    [
        ({}, {"TWILIO_ACCOUNT_SID": ""}, "set TWILIO_ACCOUNT_SID"),
        ({"TWILIO_API_KEY": API_KEY}, {}, "set both TWILIO_API_KEY"),
        ({}, {"TWILIO_AUTH_TOKEN": ""}, "or TWILIO_AUTH_TOKEN"),
    ],
)
def test_missing_credentials_say_what_to_set(run, api, env, settings, says):
    api.add_number(LINE_NUMBER)
    assert says in one_error_line(run("check", LINE_NUMBER, env=env, **settings))
    assert api.requests == []


def test_no_network_is_one_line(run, api):
    api.add_number(LINE_NUMBER)
    api.close()  # nothing listens there now: connection refused
    for command in (["connect", LINE_NUMBER, "--base-url", BASE], ["check", LINE_NUMBER]):
        assert "could not reach Twilio's API" in one_error_line(run(*command))


def test_a_twilio_error_on_the_update_changes_nothing(run, api):
    sid = api.add_number(LINE_NUMBER)
    before = dict(api.numbers[sid])
    api.failures[("POST", "IncomingPhoneNumbers")] = (
        400,
        {
            "code": 21402,
            "message": "Invalid Url",
            "more_info": "https://www.twilio.com/docs/errors/21402",
            "status": 400,
        },
    )
    line = one_error_line(run("connect", LINE_NUMBER, "--base-url", BASE, "--fallback-url", FALLBACK))
    assert "error 21402 (HTTP 400): Unable to update record: Invalid Url" in line and "nothing was changed" in line
    assert api.numbers[sid] == before


def test_a_number_released_between_reading_and_updating_is_20404(run, api):
    sid = api.add_number(LINE_NUMBER)
    api.released.add(sid)  # still listed, gone by the time it is fetched
    assert "error 20404" in one_error_line(run("connect", LINE_NUMBER, "--base-url", BASE))
    assert api.updates() == []


def test_a_number_not_in_e164_is_a_usage_error(run, api):
    result = run("check", "07700 900123")
    assert result.exit_code == 2 and "not an E.164 number" in result.output
    assert api.requests == []


# check


def test_check_passes_a_well_connected_number(run, api):
    api.add_number(LINE_NUMBER, **GOOD)
    result = run("check", LINE_NUMBER, "--base-url", BASE)
    assert result.exit_code == 0 and "no problems found" in result.output
    assert run("check", LINE_NUMBER).exit_code == 0, "without --base-url, the SMS URL's address"
    assert run("check", LINE_NUMBER, PUBLIC_BASE_URL=BASE).exit_code == 0
    assert [method for method, _ in api.requests] == ["GET"] * len(api.requests), "check only reads"


def test_after_connect_check_finds_nothing(run, api):
    api.add_number(LINE_NUMBER, sms_method="GET", voice_url="http://old.example.org/voice")
    assert run("check", LINE_NUMBER, "--base-url", BASE).exit_code == 1
    assert run("connect", LINE_NUMBER, "--base-url", BASE, "--fallback-url", FALLBACK).exit_code == 0
    assert run("check", LINE_NUMBER, "--base-url", BASE).exit_code == 0


@pytest.mark.parametrize(
    "change, says",
    [
        ({"sms_url": ""}, "the SMS URL is not set, so texts get no answer"),
        ({"voice_url": ""}, "the voice URL is not set, so calls get no answer"),
        ({"status_callback": ""}, "the call status callback is not set, so calls are not counted"),
        ({"sms_url": f"{BASE}/sms/"}, f"the SMS URL is {BASE}/sms/, not {BASE}/sms"),
        ({"voice_url": "https://old.example.org/voice"}, f"the voice URL is https://old.example.org/voice, not {BASE}"),
        ({"status_callback": f"{BASE}/status"}, f"the call status callback is {BASE}/status, not {BASE}/voice/status"),
        ({"sms_method": "GET"}, "the SMS URL uses GET: the line answers only POST"),
        ({"voice_method": "GET"}, "the voice URL uses GET: the line answers only POST"),
        ({"status_callback_method": "GET"}, "the call status callback uses GET"),
        ({"voice_url": "http://line.example.org/voice"}, "the voice URL http://line.example.org/voice uses http://"),
        ({"sms_url": "https://192.168.0.2/sms"}, "private or loopback address (192.168.0.2)"),
        ({"sms_fallback_url": ""}, "no SMS fallback URL: when the line is down, texts get no answer at all"),
        ({"voice_fallback_url": ""}, "no voice fallback URL: when the line is down, callers hear Twilio's"),
        ({"voice_fallback_url": "http://static.example.net/v.xml"}, "the voice fallback http://static.example.net"),
        ({"sms_fallback_url": f"{BASE}/fallback/sms.xml"}, "the SMS fallback https://line.example.org/fallback/sms"),
        ({"voice_fallback_url": f"{BASE}/voice.xml"}, "is on the line's own host"),
        ({"sms_application_sid": "MG" + "3" * 32}, "texts go to Messaging Service MG" + "3" * 32),
        ({"sms_application_sid": "AP" + "4" * 32}, "texts go to TwiML application AP"),
        ({"voice_application_sid": "AP" + "5" * 32}, "calls go to TwiML application AP"),
        ({"trunk_sid": "TK" + "6" * 32}, "calls go to SIP trunk TK"),
    ],
)
def test_check_names_each_problem_and_exits_non_zero(run, api, change, says):
    api.add_number(LINE_NUMBER, **(GOOD | change))
    result = run("check", LINE_NUMBER, "--base-url", BASE)
    assert result.exit_code == 1
    problems = [line for line in result.output.splitlines() if line.startswith("  - ")]
    assert any(says in problem for problem in problems), result.output
    assert f"{len(problems)} problem(s)" in result.output


def test_check_reports_every_problem_at_once(run, api):
    api.add_number(LINE_NUMBER, sms_url="http://line.example.org/sms", sms_method="GET")
    result = run("check", LINE_NUMBER)
    problems = [line for line in result.output.splitlines() if line.startswith("  - ")]
    assert len(problems) >= 6, result.output  # the line's address, the method, voice, status, two fallbacks
    assert any("the line's address http://line.example.org uses http://" in p for p in problems)


def test_check_flags_a_same_host_fallback_without_a_base_url(run, api):
    api.add_number(LINE_NUMBER, **(GOOD | {"sms_fallback_url": f"{BASE}/sms.xml"}))
    result = run("check", LINE_NUMBER)
    assert result.exit_code == 1 and "is on the line's own host" in result.output


# fallback-twiml


def test_fallback_twiml_writes_two_valid_documents_from_content(run, content, tmp_path):
    result = run("fallback-twiml", "--out", str(tmp_path / "new"))
    assert result.exit_code == 0, result.output
    sms = assert_valid_twiml((tmp_path / "new" / "sms.xml").read_text(), messaging=True)
    assert [m.text for m in sms.findall("Message")] == [f"{content.fallback.sms}\n{content.sms.disclaimer}"]
    voice_xml = (tmp_path / "new" / "voice.xml").read_text()
    voice = assert_valid_twiml(voice_xml)
    turn = transcript(voice_xml)
    assert turn.said == content.fallback.voice
    assert turn.hangup and not turn.gather
    assert [child.tag for child in voice] == ["Say", "Hangup"]
    say = voice.find("Say")
    assert (say.get("voice"), say.get("language")) == (content.region.voice, content.region.language)
    assert any(content.region.emergency_spoken in line for line in turn.said)


def test_fallback_twiml_follows_the_region(make_app, tmp_path):
    app = make_app(LINE_LOCALES="en-US")
    assert app.test_cli_runner().invoke(args=["twilio", "fallback-twiml", "--out", str(tmp_path)]).exit_code == 0
    assert "911" in (tmp_path / "sms.xml").read_text()
    assert 'voice="Polly.Joanna"' in (tmp_path / "voice.xml").read_text()


def test_fallback_twiml_speaks_every_served_locale_in_its_own_voice(make_app, tmp_path):
    app = make_app(LINE_LOCALES="en-US,es-US")
    assert app.test_cli_runner().invoke(args=["twilio", "fallback-twiml", "--out", str(tmp_path)]).exit_code == 0
    voice = assert_valid_twiml((tmp_path / "voice.xml").read_text())
    assert [say.get("voice") for say in voice.findall("Say")] == ["Polly.Joanna", "Polly.Lupe"]
    spanish = Served.of(app, "es-US")
    sms = (tmp_path / "sms.xml").read_text()
    assert gsm.fold(spanish.fallback.sms, dict(spanish.language.sms_fold)) in sms


def test_fallback_twiml_into_a_file_is_refused(run, tmp_path):
    taken = tmp_path / "file"
    taken.write_text("")
    result = run("fallback-twiml", "--out", str(taken))
    assert result.exit_code == 2 and "is a file" in result.output
