"""The TwiML schema itself: present where the tests expect it, and able to refuse bad TwiML."""

import pytest
from support import XSD, assert_valid_twiml, schema


@pytest.fixture
def checker():
    """The schema, or a skip that says why (CI fails instead: see support.schema)."""
    found = schema()
    if found is None:
        pytest.skip(f"no TwiML schema at {XSD}")
    return found


@pytest.mark.parametrize(
    "bad",
    [
        '<Response><Gather input="voice"/></Response>',
        '<Response><Say voice="alice">Hello</Say></Response>',
        "<Response><Hangup/><Nonsense/></Response>",
    ],
)
def test_the_schema_refuses_twiml_twilio_would_warn_about(checker, bad):
    with pytest.raises(AssertionError, match="does not validate"):
        assert_valid_twiml(bad)


def test_the_schema_accepts_what_the_line_sends(checker, twilio):
    assert_valid_twiml(twilio.sms("FAQ").get_data(as_text=True), messaging=True)
    assert_valid_twiml(twilio.post("/voice", {"From": "+447700900456"}).get_data(as_text=True))
