"""Fixtures: the app as production would build it (real content, real loader), a client, a signed sender."""

import os
import sys

import pytest
from hypothesis import HealthCheck, settings
from support import LINE_NUMBER, SECRET, TOKEN, Served, Twilio, forget_deployments

from app import create_app

settings.register_profile("ci", max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if os.environ.get("CI") else "dev")


def pytest_sessionstart(session):
    """Under mutmut, build every app's line afresh (and its models too, with MUTATE_MODEL=1): see below."""
    # mutmut records which tests reach a function, then runs each mutant in a process forked from the one
    # that ran the clean tests. A cached line is built once, by the unmutated code, and reached by one test:
    # its mutants would survive untested. Uncached, every app a test builds runs the mutant (bench/mutation.md).
    if "MUTANT_UNDER_TEST" in os.environ:
        forget_deployments()  # the shared lines of tests/support.py too
        line, matching = sys.modules["app"], sys.modules["app.matching"]
        line.build_line = getattr(line.build_line, "__wrapped__", line.build_line)
        if os.environ.get("MUTATE_MODEL"):
            matching.build = getattr(matching.build, "__wrapped__", matching.build)


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
