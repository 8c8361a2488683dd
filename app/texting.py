"""'Text me this' on a call: the piece texted only to the caller of a live call, at most once per call and topic.

Twilio's signature has no timestamp, so a captured "press 2" request can be replayed. Before sending,
the line asks Twilio's Calls API whether the call is still in progress and is from the number it is
about to text (and to the line); then it claims the call and topic in the shared ledger
(`app.extensions["text_ledger"]`, see notes/USAGE.md), so several workers and machines send it once.
Anything that cannot be checked (the Calls API down or slow, no ledger) sends nothing.
"""

import logging
import re
from collections.abc import Mapping

import requests
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

CALL_SID = re.compile(r"^CA[0-9a-fA-F]{32}$")  # checked before it goes into a REST URL
CALL_STATUSES = {"queued", "ringing", "in-progress", "canceled", "completed", "failed", "busy", "no-answer"}


def rest_client(account_sid: str, user: str, secret: str, timeout: float, base_url: str = "") -> Client:
    """A Twilio REST client with a timeout that logs nothing personal; `base_url` points it at a test stand-in.

    `user` and `secret` are the account SID and auth token, or an API key SID and its secret.
    """
    quiet = logging.getLogger("line.twilio-rest")
    quiet.setLevel(logging.WARNING)  # the client logs requests at INFO, numbers and all
    client = Client(user, secret, account_sid, http_client=TwilioHttpClient(timeout=timeout, logger=quiet))
    if base_url:  # tests point the client at a local stand-in for api.twilio.com
        client.api.base_url = base_url
    return client


class Sender:
    """Texts a piece to the caller of a live call through Twilio's REST API; never raises.

    `timeout` is the budget for the whole exchange: the Calls check and the send get half each, so
    the worst case (each request's connect and read waits in turn) stays 2 x `timeout`, as before.
    """

    def __init__(
        self, account_sid: str, auth_token: str, timeout: float, base_url: str = "", extensions: Mapping | None = None
    ):
        self.client = rest_client(account_sid, account_sid, auth_token, timeout / 2, base_url)
        self.extensions = extensions if extensions is not None else {}  # the app's, where the ledger is found

    def send(self, call_sid: str, topic: str, to: str, from_: str, body: str) -> str:
        """Text `body` to `to`, the caller of live call `call_sid`, once per topic.

        Returns "sent", or why not: "refused:..." when the request is not the live caller's first ask,
        "failed:..." when something failed (an error code or type, nothing personal).
        """
        if not CALL_SID.match(call_sid):
            return "refused:no-call"
        live = self.live_caller(call_sid, to, from_)
        if live:
            return live
        ledger = self.extensions.get("text_ledger")
        if ledger is None:  # without the shared ledger the cap cannot hold: send nothing
            return "failed:no-ledger"
        try:
            first = ledger.claim(call_sid, topic)
        except Exception as error:  # the ledger fails closed by contract; a bug in it must not end the call
            return f"failed:ledger-{type(error).__name__}"
        if not first:
            return "refused:already-sent"
        try:
            self.client.messages.create(to=to, from_=from_, body=body)
        except TwilioRestException as error:
            return f"failed:{error.code or error.status}"
        except requests.Timeout:
            return "failed:timeout"
        except Exception as error:  # a text that fails must never end the call
            return f"failed:{type(error).__name__}"
        return "sent"

    def live_caller(self, call_sid: str, caller: str, line: str) -> str:
        """'' when Twilio says the call is in progress, from `caller` to `line`; otherwise why not."""
        try:
            call = self.client.calls(call_sid).fetch()
        except TwilioRestException as error:
            return f"failed:calls-{error.code or error.status}"
        except requests.Timeout:
            return "failed:calls-timeout"
        except Exception as error:  # a check that fails sends nothing and never ends the call
            return f"failed:calls-{type(error).__name__}"
        status = str(call.status or "")
        if status != "in-progress":
            return f"refused:call-{status if status in CALL_STATUSES else 'unknown'}"
        if call._from != caller or call.to != line:  # twilio-python names the "from" field `_from`
            return "refused:not-the-caller"
        return ""
