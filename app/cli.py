"""Try the line from a terminal, without Twilio: signed requests through the real webhooks."""

import click
from flask import Flask, current_app
from twilio.request_validator import RequestValidator

from app import gsm

TRY_FROM = "+447700900001"  # a number reserved for drama and testing (Ofcom), never a real patient
TRY_TO = "+447700900000"


def signed_post(client, path: str, params: dict):
    """POST `params` to `path` the way Twilio does, with a valid X-Twilio-Signature."""
    url = f"{current_app.config['PUBLIC_BASE_URL'] or 'http://localhost'}{path}"  # the URL the app will check
    signature = RequestValidator(current_app.config["TWILIO_AUTH_TOKEN"]).compute_signature(url, params)
    return client.post(path, data=params, headers={"X-Twilio-Signature": signature})


@click.command("text")
@click.argument("messages", nargs=-1, required=True)
def text_command(messages: tuple[str, ...]) -> None:
    """Text the line: each MESSAGE in turn, as one sender (so "FAQ" then "2" works)."""
    from xml.etree import ElementTree

    client = current_app.test_client()
    for message in messages:
        response = signed_post(client, "/sms", {"From": TRY_FROM, "To": TRY_TO, "Body": message, "NumMedia": "0"})
        replies = [m.text or "" for m in ElementTree.fromstring(response.get_data()).iter("Message")]
        click.echo(f"> {message}")
        if not replies:
            click.echo("(no reply: Twilio handles this opt-out word itself)\n")
        for reply in replies:
            count = gsm.segments(reply)
            click.echo(f"{reply}\n[{len(reply)} characters, {count.encoding}, {count.segments} segment(s)]\n")


def init_app(app: Flask) -> None:
    """Register the try-it commands."""
    app.cli.add_command(text_command)
