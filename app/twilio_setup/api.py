"""Talking to Twilio's REST API: credentials from the environment, errors in one plain line, a number read."""

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager

import click
import requests
from flask import current_app
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.rest import Client

from app.config import DEV_AUTH_TOKEN, E164
from app.texting import rest_client

TIMEOUT = 10  # seconds to wait for each answer from Twilio's API

FIELDS = {
    "sms_url": "SMS URL (A message comes in)",
    "sms_method": "SMS method",
    "sms_fallback_url": "SMS fallback URL",
    "sms_fallback_method": "SMS fallback method",
    "voice_url": "Voice URL (A call comes in)",
    "voice_method": "Voice method",
    "voice_fallback_url": "Voice fallback URL",
    "voice_fallback_method": "Voice fallback method",
    "status_callback": "Call status callback",
    "status_callback_method": "Call status callback method",
}


class SetupError(click.ClickException):
    """One line naming the problem and what to do; exit code 1."""


def client_from_environment() -> Client:
    """A REST client for the account in the environment, or one line saying which setting is missing."""
    account = current_app.config.get("TWILIO_ACCOUNT_SID", "")
    key, secret = os.environ.get("TWILIO_API_KEY", "").strip(), os.environ.get("TWILIO_API_SECRET", "").strip()
    token = current_app.config.get("TWILIO_AUTH_TOKEN", "")
    if not account:
        raise SetupError("set TWILIO_ACCOUNT_SID to the account SID (AC..., on the Twilio console's home page)")
    if key or secret:
        if not (key and secret):
            raise SetupError("set both TWILIO_API_KEY (SK...) and TWILIO_API_SECRET, or neither")
        user, password = key, secret
    elif token and token != DEV_AUTH_TOKEN:
        user, password = account, token
    else:
        raise SetupError(
            "set TWILIO_API_KEY and TWILIO_API_SECRET (an API key, from the Twilio console), or TWILIO_AUTH_TOKEN"
        )
    return rest_client(account, user, password, TIMEOUT, current_app.config.get("TWILIO_API_BASE_URL", ""))


@contextmanager
def asking_twilio(doing: str) -> Iterator[None]:
    """Turn what can go wrong with Twilio's API into one line naming the problem and what to do."""
    try:
        yield
    except TwilioRestException as error:
        raise SetupError(explain(error.status, error.code, error.msg, doing)) from None
    except TwilioException as error:  # a list page that failed: twilio-python passes the response along
        raise SetupError(explain(*page_error(error), doing)) from None
    except requests.Timeout:
        raise SetupError(
            f"Twilio did not answer within {TIMEOUT} s while {doing}: try again in a few minutes"
        ) from None
    except requests.ConnectionError:
        raise SetupError(
            f"could not reach Twilio's API while {doing} (no network, or the connection was refused): "
            "check this machine's internet connection and try again"
        ) from None


def page_error(error: TwilioException) -> tuple[int, int, str]:
    """The HTTP status, Twilio error code and message of a failed list page."""
    response = error.args[1] if len(error.args) > 1 else None
    status = getattr(response, "status_code", 0)
    try:
        body = json.loads(getattr(response, "text", ""))
    except ValueError:
        body = {}
    body = body if isinstance(body, dict) else {}
    return status, body.get("code") or status, str(body.get("message") or "")


def explain(status: int, code: int, message: str, doing: str) -> str:
    """What a Twilio error means for the operator."""
    if status == 401 or code == 20003:
        return (
            f"Twilio refused the credentials (error 20003) while {doing}: check TWILIO_ACCOUNT_SID and "
            "TWILIO_API_KEY/TWILIO_API_SECRET (or TWILIO_AUTH_TOKEN) against the Twilio console"
        )
    if code == 20404:
        return (
            f"Twilio has no such resource (error 20404) while {doing}: the number may just have been "
            "released or moved to another account; check it in the console and run the command again"
        )
    said = str(message).splitlines()[0][:200] if message else ""
    return (
        f"Twilio refused {doing}: error {code} (HTTP {status}){f': {said}' if said else ''}; "
        f"see https://www.twilio.com/docs/errors/{code}"
    )


def read_number(client: Client, number: str):
    """The number's resource, read fresh, or one line saying it is not in this account."""
    with asking_twilio("looking the number up"):
        found = [
            n for n in client.incoming_phone_numbers.list(phone_number=number, limit=20) if n.phone_number == number
        ]
    if not found:
        raise SetupError(
            f"{number} is not a number of Twilio account {client.account_sid}: check the number, and that "
            "TWILIO_ACCOUNT_SID is the (sub)account that owns it"
        )
    with asking_twilio("reading the number's configuration"):
        return client.incoming_phone_numbers(found[0].sid).fetch()


def e164(ctx, param, value: str) -> str:
    """The NUMBER argument, as E.164."""
    number = "".join(value.split())
    if not E164.match(number):
        raise click.BadParameter(f"{value!r} is not an E.164 number such as +447700900123")
    return number


# What overrides the number's own URLs.


def overrides(resource) -> list[str]:
    """What sends the number's texts or calls somewhere other than its own URLs, in plain words."""
    found = []
    sms_app = resource.sms_application_sid or ""
    if sms_app.startswith("MG"):
        found.append(
            f"texts go to Messaging Service {sms_app}, whose own incoming-message settings override the "
            "number's SMS URL: remove the number from that service's sender pool (console: Messaging > "
            "Services), or set the service to send incoming messages to the line's /sms with POST"
        )
    elif sms_app:
        found.append(
            f"texts go to TwiML application {sms_app}, not the number's SMS URL: in the console, set the "
            "number's 'A message comes in' to Webhook"
        )
    if resource.voice_application_sid:
        found.append(
            f"calls go to TwiML application {resource.voice_application_sid}, not the number's voice URL: in "
            "the console, set the number's 'A call comes in' to Webhook"
        )
    if resource.trunk_sid:
        found.append(
            f"calls go to SIP trunk {resource.trunk_sid}, not the number's voice URL: remove the number from "
            "the trunk (console: Elastic SIP Trunking)"
        )
    return found


def shown(value) -> str:
    """A field's value as printed."""
    return str(value) if value else "(none)"
