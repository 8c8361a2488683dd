"""Settings: safe defaults for development, read once from the environment, strict in production."""

import logging

import pytest
from support import SECRET, TOKEN, Served

from app import config, create_app
from app.errors import StartupError

PRODUCTION = {"LINE_ENV": "production", "TWILIO_AUTH_TOKEN": "a-real-twilio-auth-token", "SECRET_KEY": SECRET}


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


def test_a_production_secret_of_32_characters_is_enough(environ):
    environ(**{**PRODUCTION, "SECRET_KEY": "x" * 32})
    assert create_app().config["SECRET_KEY"] == "x" * 32


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
