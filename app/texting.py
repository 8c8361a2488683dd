"""Texting a piece to a caller during a call, through Twilio's Messages API."""

import logging

import requests
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client


class Sender:
    """Sends one text through Twilio's Messages API, with a short timeout; never raises."""

    def __init__(self, account_sid: str, auth_token: str, timeout: float, base_url: str = ""):
        quiet = logging.getLogger("line.twilio-rest")
        quiet.setLevel(logging.WARNING)  # the client logs requests at INFO, numbers and all
        self.client = Client(account_sid, auth_token, http_client=TwilioHttpClient(timeout=timeout, logger=quiet))
        if base_url:  # tests point the client at a local stand-in for api.twilio.com
            self.client.api.base_url = base_url

    def send(self, to: str, from_: str, body: str) -> str:
        """Send `body`; return "sent" or why it failed (an error code or type, nothing personal)."""
        try:
            self.client.messages.create(to=to, from_=from_, body=body)
        except TwilioRestException as error:
            return f"failed:{error.code or error.status}"
        except requests.Timeout:
            return "failed:timeout"
        except Exception as error:  # a text that fails must never end the call
            return f"failed:{type(error).__name__}"
        return "sent"
