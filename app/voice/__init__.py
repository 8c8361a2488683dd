"""The phone line: POST /voice and its steps, as TwiML, in every served locale."""

import re
from collections.abc import Mapping

from flask import Flask

from app.errors import StartupError
from app.texting import Sender
from app.voice.line import PhoneLine
from app.voice.views import bp

VOICE_RATE = re.compile(r"^(x-slow|slow|medium|fast|x-fast|[0-9]{2,3}%)$")


def check_settings(config: Mapping) -> None:
    """Refuse voice settings Twilio would reject or callers could not use."""
    if not VOICE_RATE.match(str(config["VOICE_RATE"])) or (
        config["VOICE_RATE"].endswith("%") and not 50 <= int(config["VOICE_RATE"][:-1]) <= 150
    ):
        raise StartupError(f"setting VOICE_RATE: {config['VOICE_RATE']!r} must be a percentage from 50% to 150%")
    if not 3 <= config["GATHER_TIMEOUT"] <= 30:
        raise StartupError("setting GATHER_TIMEOUT: must be 3 to 30 seconds")
    # requests applies the timeout to connecting and to reading in turn: 2 x 5 s stays under
    # gunicorn's 14 s and Twilio's 15 s for the whole answer.
    if not 1 <= config["SEND_TIMEOUT"] <= 5:
        raise StartupError("setting SEND_TIMEOUT: must be 1 to 5 seconds")
    if not 0 <= config["SPEECH_MIN_CONFIDENCE"] <= 1:
        raise StartupError("setting SPEECH_MIN_CONFIDENCE: must be from 0 to 1")


def init_app(app: Flask) -> None:
    """Prepare the phone menu in every locale and register its webhook."""
    check_settings(app.config)
    sender = None
    if app.config["TWILIO_ACCOUNT_SID"]:
        sender = Sender(
            app.config["TWILIO_ACCOUNT_SID"],
            app.config["TWILIO_AUTH_TOKEN"],
            app.config["SEND_TIMEOUT"],
            app.config["TWILIO_API_BASE_URL"],
            app.extensions,
        )
    texts = {tag: replies.texts for tag, replies in app.extensions["replies"]["sms"].items()}
    app.extensions["phone_line"] = PhoneLine(
        app.extensions["line"], app.extensions["matchers"], texts, app.config, sender, app.extensions["unserved"]
    )
    app.register_blueprint(bp)
