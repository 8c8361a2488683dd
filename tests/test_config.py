"""Settings: safe defaults for development, read once from the environment, strict in production."""

import logging

import pytest
from support import SECRET, TOKEN, Served

from app import config, create_app
from app.errors import StartupError

TWILIO_SHAPED = "4f0c3a1e9b7d2c5a8e6f1b3d7a9c0e24"  # 32 hex characters, as the Twilio console shows a token
PRODUCTION = {
    "LINE_ENV": "production",
    "TWILIO_AUTH_TOKEN": TWILIO_SHAPED,
    "SECRET_KEY": SECRET,
    "PUBLIC_BASE_URL": "https://line.example.org",
}


@pytest.fixture
def environ(monkeypatch):
    """A clean environment: none of the line's settings set, and a helper to set some."""
    for name in config.DEFAULTS:
        monkeypatch.delenv(name, raising=False)

    def set_env(**values):
        for name, value in values.items():
            monkeypatch.setenv(name, value)

    return set_env


def test_development_defaults(environ):
    app = create_app()
    assert app.config["LINE_ENV"] == "development"
    assert app.config["TWILIO_AUTH_TOKEN"] == config.DEV_AUTH_TOKEN
    assert app.config["SECRET_KEY"] == config.DEV_SECRET_KEY
    assert app.config["LINE_LOCALES"] == "en-GB"
    assert app.config["GATHER_TIMEOUT"] == 8
    assert app.config["SPEECH_MIN_CONFIDENCE"] == 0.4
    assert app.config["LINE_NUMBER"] == ""
    assert app.config["SESSION_COOKIE_SECURE"] is False
    assert Served.of(app).region.emergency_number == "999"


def test_the_environment_overrides_the_defaults(environ):
    environ(
        LINE_LOCALES="en-US",
        GATHER_TIMEOUT="12",
        SPEECH_MIN_CONFIDENCE="0.7",
        LINE_PHONE_NUMBER="+1 (202) 555-0143",
        LINE_OPERATOR="the Example Clinic",
    )
    app = create_app()
    assert app.config["GATHER_TIMEOUT"] == 12
    assert app.config["SPEECH_MIN_CONFIDENCE"] == 0.7
    assert app.config["LINE_NUMBER"] == "+12025550143"
    content = Served.of(app)
    assert content.region.emergency_number == "911"
    assert "run by the Example Clinic" in content.replies["help"][0]


def test_the_environment_is_read_once_when_the_app_is_built(environ):
    environ(GATHER_TIMEOUT="12")
    app = create_app()
    environ(GATHER_TIMEOUT="30", LINE_LOCALES="en-US")
    assert app.config["GATHER_TIMEOUT"] == 12
    assert Served.of(app).region.emergency_number == "999"


def test_test_config_overrides_the_environment(environ):
    environ(LINE_LOCALES="en-US", GATHER_TIMEOUT="12")
    app = create_app({"LINE_LOCALES": "en-GB", "GATHER_TIMEOUT": 3})
    assert app.config["LINE_LOCALES"] == "en-GB"
    assert app.config["GATHER_TIMEOUT"] == 3
    assert Served.of(app).region.emergency_number == "999"


def test_production_starts_with_real_secrets(environ):
    environ(**PRODUCTION)
    app = create_app()
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.test_client().get("/healthz").status_code == 200


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"TWILIO_AUTH_TOKEN": ""}, "production needs TWILIO_AUTH_TOKEN set in the environment"),
        ({"TWILIO_AUTH_TOKEN": config.DEV_AUTH_TOKEN}, "production needs TWILIO_AUTH_TOKEN set in the environment"),
        ({"SECRET_KEY": ""}, "production needs SECRET_KEY set in the environment"),
        ({"SECRET_KEY": config.DEV_SECRET_KEY}, "production needs SECRET_KEY set in the environment"),
        ({"SECRET_KEY": "", "TWILIO_AUTH_TOKEN": ""}, "production needs TWILIO_AUTH_TOKEN and SECRET_KEY set"),
        ({"SECRET_KEY": "x" * 31}, "production needs SECRET_KEY of at least 32 random characters"),
    ],
    ids=["no-token", "dev-token", "no-secret", "dev-secret", "neither", "short-secret"],
)
def test_production_refuses_development_secrets(environ, change, expected):
    environ(**PRODUCTION)
    environ(**change)
    with pytest.raises(StartupError) as refused:
        create_app()
    assert expected in str(refused.value)


def test_a_production_secret_of_32_random_characters_is_enough(environ):
    key = "Vq3x9LmZ0aTk7RwP2nYc5HsJ8dGf1UbE"
    environ(**{**PRODUCTION, "SECRET_KEY": key})
    assert create_app().config["SECRET_KEY"] == key


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"TWILIO_AUTH_TOKEN": "x"}, "production needs TWILIO_AUTH_TOKEN as the Twilio console shows it"),
        ({"TWILIO_AUTH_TOKEN": TWILIO_SHAPED[:31]}, "production needs TWILIO_AUTH_TOKEN as the Twilio console"),
        ({"TWILIO_AUTH_TOKEN": TWILIO_SHAPED + "0"}, "production needs TWILIO_AUTH_TOKEN as the Twilio console"),
        ({"TWILIO_AUTH_TOKEN": "0" * 32}, "production needs TWILIO_AUTH_TOKEN as the Twilio console shows it"),
        ({"TWILIO_AUTH_TOKEN": "0123456789abcdef" * 2}, "production needs TWILIO_AUTH_TOKEN as the Twilio console"),
        ({"TWILIO_AUTH_TOKEN": "a-real-twilio-auth-token"}, "production needs TWILIO_AUTH_TOKEN as the Twilio console"),
        ({"SECRET_KEY": "x" * 64}, "production needs a random SECRET_KEY: this one repeats itself"),
        ({"SECRET_KEY": "abab1212" * 6}, "production needs a random SECRET_KEY: this one repeats itself"),
        ({"SECRET_KEY": "secret-secret-secret-secret-secret"}, "production needs a random SECRET_KEY"),
        ({"SECRET_KEY": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaabcdef"}, "production needs a random SECRET_KEY"),
        ({"SECRET_KEY": TWILIO_SHAPED}, "production needs SECRET_KEY different from TWILIO_AUTH_TOKEN"),
        ({"SECRET_KEY": TWILIO_SHAPED.upper()}, "production needs SECRET_KEY different from TWILIO_AUTH_TOKEN"),
        ({"PUBLIC_BASE_URL": ""}, "production needs PUBLIC_BASE_URL set to the https:// address Twilio calls"),
        ({"PUBLIC_BASE_URL": "http://line.example.org"}, "production needs PUBLIC_BASE_URL set to the https://"),
        ({"TWILIO_API_BASE_URL": "http://127.0.0.1:9"}, "setting TWILIO_API_BASE_URL is for tests only"),
        ({"TWILIO_API_BASE_URL": "https://api.twilio.com"}, "setting TWILIO_API_BASE_URL is for tests only"),
    ],
    ids=["one-char-token", "short-token", "long-token", "zero-token", "pattern-token", "not-hex-token",
         "repeated-key", "periodic-key", "word-key", "low-variety-key", "key-is-token", "key-is-token-upper",
         "no-base-url", "http-base-url", "api-override", "api-override-https"],
)
def test_production_refuses_unsafe_settings_in_one_line(environ, change, expected):
    environ(**PRODUCTION)
    environ(**change)
    with pytest.raises(StartupError) as refused:
        create_app()
    assert str(refused.value).startswith(expected)
    assert "\n" not in str(refused.value)


def test_in_development_the_api_override_and_a_missing_base_url_are_allowed(environ):
    environ(TWILIO_API_BASE_URL="http://127.0.0.1:9")
    assert create_app().config["TWILIO_API_BASE_URL"] == "http://127.0.0.1:9"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("-1", "setting PROXY_HOPS: -1 must be from 0 to 5"), ("6", "setting PROXY_HOPS: 6 must be from 0 to 5"),
     ("one", "setting PROXY_HOPS: 'one' is not a whole number")],
)
@pytest.mark.parametrize("mode", ["development", "production"])
def test_proxy_hops_out_of_range_are_refused_in_every_mode(environ, mode, value, expected):
    environ(**{**PRODUCTION, "LINE_ENV": mode, "PROXY_HOPS": value})
    with pytest.raises(StartupError) as refused:
        create_app()
    assert str(refused.value) == expected


def test_the_serving_settings_default_to_two_workers_of_one_thread():
    assert config.serving({}) == {"WEB_CONCURRENCY": 2, "WEB_THREADS": 1}
    assert config.serving({"WEB_CONCURRENCY": " 4 ", "WEB_THREADS": "16"}) == {"WEB_CONCURRENCY": 4, "WEB_THREADS": 16}


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"WEB_CONCURRENCY": "abc"}, "setting WEB_CONCURRENCY: 'abc' is not a whole number"),
        ({"WEB_CONCURRENCY": "0"}, "setting WEB_CONCURRENCY: 0 must be from 1 to 32"),
        ({"WEB_CONCURRENCY": "-2"}, "setting WEB_CONCURRENCY: -2 must be from 1 to 32"),
        ({"WEB_CONCURRENCY": "33"}, "setting WEB_CONCURRENCY: 33 must be from 1 to 32"),
        ({"WEB_THREADS": "0"}, "setting WEB_THREADS: 0 must be from 1 to 64"),
        ({"WEB_THREADS": "2.5"}, "setting WEB_THREADS: '2.5' is not a whole number"),
    ],
)
def test_worker_settings_out_of_range_or_not_numbers_are_refused_by_name(environ, expected):
    with pytest.raises(StartupError) as refused:
        config.serving(environ)
    assert str(refused.value) == expected


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("LINE_LOCALES", "fr", "setting LINE_LOCALES: 'fr' is not a locale"),
        ("LINE_LOCALES", "en-uk", "setting LINE_LOCALES: 'en-uk' is not a locale"),
        ("LINE_LOCALES", "fr-FR", "setting LINE_LOCALES: 'fr-FR': no language pack content/fr/"),
        ("LINE_LOCALES", "en-FR", "content/en/regions.yaml: no region 'FR' for en-FR"),
        ("LINE_LOCALES", "en-GB,en-GB", "setting LINE_LOCALES: 'en-GB,en-GB' must list each locale once"),
        ("LINE_ENV", "prod", "setting LINE_ENV: 'prod' must be development or production"),
        ("GATHER_TIMEOUT", "soon", "setting GATHER_TIMEOUT: 'soon' is not a whole number"),
        ("GATHER_TIMEOUT", "8.5", "setting GATHER_TIMEOUT: '8.5' is not a whole number"),
        ("SPEECH_MIN_CONFIDENCE", "high", "setting SPEECH_MIN_CONFIDENCE: 'high' is not a number"),
        ("PUBLIC_BASE_URL", "https://line.example.org/sms", "setting PUBLIC_BASE_URL: 'https://line.example.org/sms'"),
    ],
)
def test_a_setting_the_line_cannot_run_with_is_refused_by_name(environ, name, value, expected):
    environ(**{name: value})
    with pytest.raises(StartupError) as refused:
        create_app({"TWILIO_AUTH_TOKEN": TOKEN})
    assert str(refused.value).startswith(expected)


@pytest.mark.parametrize(
    ("number", "why"),
    [("07700 900123", "not an E.164 number"), ("+44 7700 9001234567890", "not an E.164 number"), ("", "not set")],
)
def test_a_missing_or_malformed_line_number_is_blank_with_a_warning(environ, caplog, number, why):
    environ(LINE_PHONE_NUMBER=number)
    with caplog.at_level(logging.WARNING):
        app = create_app()
    assert app.config["LINE_NUMBER"] == ""
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(message.startswith(f"LINE_PHONE_NUMBER is {why}") for message in warnings), warnings


def test_a_good_line_number_gives_no_warning(environ, caplog):
    environ(LINE_PHONE_NUMBER="+447700900123")
    with caplog.at_level(logging.WARNING):
        app = create_app()
    assert app.config["LINE_NUMBER"] == "+447700900123"
    assert not [r for r in caplog.records if "LINE_PHONE_NUMBER" in r.getMessage()]


def test_healthz_needs_no_signature(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert "X-Twilio-Signature" not in response.request.headers
