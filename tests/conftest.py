"""Fixtures: the app as production would build it (real content, real loader), a client, a signed sender."""

import os

import pytest
from hypothesis import HealthCheck, settings
from support import LINE_NUMBER, SECRET, TOKEN, Served, Twilio

from app import create_app

settings.register_profile("ci", max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture
def make_app():
    """Build an app with test settings, plus any overrides."""

    def make(**overrides):
        return create_app(
            {
                "TESTING": True,
                "TWILIO_AUTH_TOKEN": TOKEN,
                "SECRET_KEY": SECRET,
                "LINE_PHONE_NUMBER": LINE_NUMBER,
                **overrides,
            }
        )

    return make


@pytest.fixture
def app(make_app):
    """The line, with the shipped content."""
    return make_app()


@pytest.fixture
def client(app):
    """A test client that keeps cookies, as Twilio does per sender."""
    return app.test_client()


@pytest.fixture
def twilio(client):
    """Signed requests into the app, as Twilio sends them."""
    return Twilio(client)


@pytest.fixture
def content(app):
    """What the app serves in its first locale: its content, its composed SMS replies and spoken menus."""
    return Served.of(app)
