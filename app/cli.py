"""Try the line from a terminal, without Twilio: signed requests through the real webhooks."""

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from twilio.request_validator import RequestValidator

from app import gsm
from app.twilio_setup import twilio
from app.voice.views import KEYPAD
from app.walker import follow, next_request

TRY_FROM = "+447700900001"  # a number reserved for drama and testing (Ofcom), never a real patient
TRY_TO = "+447700900000"
MAX_CALL_STEPS = 200  # a safety net: every path of the phone menu ends long before this


def signed_post(client, path: str, params: dict):
    """POST `params` to `path` the way Twilio does, with a valid X-Twilio-Signature."""
    url = f"{current_app.config['PUBLIC_BASE_URL'] or 'http://localhost'}{path}"  # the URL the app will check
    signature = RequestValidator(current_app.config["TWILIO_AUTH_TOKEN"]).compute_signature(url, params)
    return client.post(path, data=params, headers={"X-Twilio-Signature": signature})


@click.command("text")
@click.option("--whatsapp", is_flag=True, help="Write as a WhatsApp user would (From whatsapp:+44...).")
@click.argument("messages", nargs=-1, required=True)
def text_command(messages: tuple[str, ...], whatsapp: bool) -> None:
    """Text the line: each MESSAGE in turn, as one sender (so "FAQ" then "2" works)."""
    from xml.etree import ElementTree

    client = current_app.test_client()
    prefix = "whatsapp:" if whatsapp else ""
    for message in messages:
        form = {"From": prefix + TRY_FROM, "To": prefix + TRY_TO, "Body": message, "NumMedia": "0"}
        response = signed_post(client, "/sms", form)
        replies = [m.text or "" for m in ElementTree.fromstring(response.get_data()).iter("Message")]
        click.echo(f"> {message}")
        if not replies:
            click.echo("(no reply: Twilio handles this opt-out word itself)\n")
        for reply in replies:
            count = gsm.segments(reply)
            cost = "WhatsApp, no segments" if whatsapp else f"{count.encoding}, {count.segments} segment(s)"
            click.echo(f"{reply}\n[{len(reply)} characters, {cost}]\n")


@click.command("call")
@click.argument("inputs", nargs=-1)
@with_appcontext
def call_command(inputs: tuple[str, ...]) -> None:
    """Call the phone line: hear each step, then press a key (0-9, *, #) or say words; Enter says nothing.

    With INPUTS, use them in turn ("-" for silence) instead of asking, for example: flask call 4 2 '*' -
    """
    client = current_app.test_client()
    call = {"CallSid": "CA" + "0" * 32, "From": TRY_FROM, "To": TRY_TO, "CallStatus": "in-progress"}

    def post(path: str, pressed) -> str:
        response = signed_post(client, path, call | dict(pressed))
        if response.status_code != 200:
            raise click.ClickException(f"the line answered {path} with HTTP {response.status_code}")
        return response.get_data(as_text=True)

    scripted = iter(inputs) if inputs else None
    path, pressed = "/voice", {}
    for _ in range(MAX_CALL_STEPS):
        progress = follow(post, path, pressed)
        for line in progress.said:
            click.echo(f"  {line}")
        if progress.ended:
            click.echo("(the line hangs up)")
            return
        answer = next(scripted, None) if scripted else click.prompt("key or words", default="", show_default=False)
        if answer is None:
            click.echo("(you hang up)")
            return
        answer = answer.strip()
        if answer in ("", "-"):
            click.echo("> (silence)")
            path, pressed = next_request(progress)
        elif all(char in KEYPAD for char in answer):
            click.echo(f"> pressed {answer}")
            path, pressed = next_request(progress, key=answer)
        else:
            click.echo(f"> said: {answer}")
            path, pressed = next_request(progress, words=answer)
    raise click.ClickException(f"the call went on for {MAX_CALL_STEPS} steps: the phone menu loops")


def init_app(app: Flask) -> None:
    """Register the try-it commands."""
    app.cli.add_command(text_command)
    app.cli.add_command(call_command)
    app.cli.add_command(twilio)
    from app.explain import explain_command  # the understanding's own command, in its own module

    app.cli.add_command(explain_command)
