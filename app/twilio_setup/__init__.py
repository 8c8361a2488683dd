"""`flask --app app twilio`: point a Twilio number at the line, check how it is set up, write the fallback TwiML.

Credentials come from the environment: TWILIO_ACCOUNT_SID, and TWILIO_API_KEY with TWILIO_API_SECRET
(an API key, which can be revoked on its own) or else TWILIO_AUTH_TOKEN. Neither secret is ever printed.
"""

from app.twilio_setup.commands import twilio
from app.twilio_setup.fallback import fallback_twiml_command

twilio.add_command(fallback_twiml_command)

__all__ = ["twilio"]
