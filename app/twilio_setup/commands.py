"""`flask --app app twilio connect` and `check`: point a number at the line, and say what is wrong with it."""

import click
from flask import current_app
from flask.cli import AppGroup

from app.twilio_setup.addresses import (
    SMS_PATH,
    STATUS_PATH,
    VOICE_PATH,
    checked_base,
    checked_fallbacks,
    host,
    origin,
    url_problem,
    wanted,
)
from app.twilio_setup.api import (
    FIELDS,
    SetupError,
    asking_twilio,
    client_from_environment,
    e164,
    overrides,
    read_number,
    shown,
)

twilio = AppGroup("twilio", help="Connect a Twilio number to the line, check it, write the fallback TwiML.")


@twilio.command("connect")
@click.argument("number", callback=e164)
@click.option("--base-url", required=True, help="The line's public address, such as https://line.example.org.")
@click.option("--fallback-url", default="", help="Where fallback-twiml's sms.xml and voice.xml are hosted.")
@click.option("--sms-fallback-url", default="", help="The SMS fallback's own URL (a TwiML Bin, say).")
@click.option("--voice-fallback-url", default="", help="The voice fallback's own URL.")
def connect_command(number: str, base_url: str, fallback_url: str, sms_fallback_url: str, voice_fallback_url: str):
    """Point NUMBER's texts, calls, call status and fallbacks at the line, in one update."""
    base = checked_base(base_url)
    fallbacks = checked_fallbacks(base, fallback_url, sms_fallback_url, voice_fallback_url)
    client = client_from_environment()
    resource = read_number(client, number)
    blocked = overrides(resource)
    if blocked:
        raise SetupError(f"{number}: {blocked[0]}; then run connect again (nothing was changed)")
    fields = wanted(base, fallbacks)
    before = {name: getattr(resource, name) or "" for name in FIELDS}
    changes = {name: value for name, value in fields.items() if before[name] != value}
    if not changes:
        click.echo(f"{number} ({resource.sid}) is already connected to {base}: nothing to change.")
        after = before
    else:
        with asking_twilio("updating the number (nothing was changed)"):
            updated = client.incoming_phone_numbers(resource.sid).update(**changes)
        after = {name: getattr(updated, name) or "" for name in FIELDS}
        click.echo(f"Connected {number} ({resource.sid}) to {base}:")
    for name, label in FIELDS.items():
        if before[name] != after[name]:
            click.echo(f"  {label}: {shown(before[name])} -> {shown(after[name])}")
        else:
            click.echo(f"  {label}: {shown(after[name])} (unchanged)")
    kept = [FIELDS[name] for name, value in fields.items() if after[name] != value]
    if kept:
        raise SetupError(f"Twilio did not keep {', '.join(kept)}: run check {number} to see the number as it is")
    if not fallbacks:
        click.echo(
            "No fallback given: if the line is down, callers hear Twilio's own error. Run "
            "'flask --app app twilio fallback-twiml --out DIR', host the files, then connect with --fallback-url."
        )
    if not current_app.config.get("PUBLIC_BASE_URL"):
        click.echo(f"Set PUBLIC_BASE_URL={base} where the line runs, so it checks signatures against this address.")


@twilio.command("check")
@click.argument("number", callback=e164)
@click.option(
    "--base-url", default="", help="The line's public address (default: PUBLIC_BASE_URL, else the SMS URL's)."
)
def check_command(number: str, base_url: str):
    """Report each problem with NUMBER's set-up in plain words; exit 1 if there is any."""
    client = client_from_environment()
    resource = read_number(client, number)
    problems = number_problems(resource, base_url or current_app.config.get("PUBLIC_BASE_URL", ""))
    if not problems:
        click.echo(f"{number} ({resource.sid}): no problems found.")
        return
    click.echo(f"{number} ({resource.sid}): {len(problems)} problem(s):")
    for problem in problems:
        click.echo(f"  - {problem}")
    click.get_current_context().exit(1)


def number_problems(resource, base: str) -> list[str]:
    """Every problem with a number's set-up for the line at `base` (derived from its SMS URL when '')."""
    problems = overrides(resource)
    base = base.strip().rstrip("/") or (origin(resource.sms_url) if resource.sms_url else "")
    if base and url_problem(base):
        problems.append(f"the line's address {base} {url_problem(base)}")
    hooks = (
        ("sms_url", "sms_method", SMS_PATH, "the SMS URL", "texts get no answer"),
        ("voice_url", "voice_method", VOICE_PATH, "the voice URL", "calls get no answer"),
        ("status_callback", "status_callback_method", STATUS_PATH, "the call status callback", "calls are not counted"),
    )
    for field, method_field, path, label, without in hooks:
        url, method = getattr(resource, field) or "", (getattr(resource, method_field) or "POST").upper()
        if not url:
            problems.append(f"{label} is not set, so {without}: run connect")
            continue
        if base and url != base + path:
            problems.append(f"{label} is {url}, not {base + path}")
        if url_problem(url):
            problems.append(f"{label} {url} {url_problem(url)}")
        if method != "POST":
            problems.append(f"{label} uses {method}: the line answers only POST (Twilio would get 405); set POST")
    for channel, field, without in (
        ("SMS", "sms_fallback_url", "texts get no answer at all"),
        ("voice", "voice_fallback_url", "callers hear Twilio's 'an application error has occurred'"),
    ):
        url = getattr(resource, field) or ""
        if not url:
            problems.append(
                f"no {channel} fallback URL: when the line is down, {without}; run fallback-twiml and connect "
                "with --fallback-url"
            )
            continue
        if url_problem(url):
            problems.append(f"the {channel} fallback {url} {url_problem(url)}")
        line_host = host(base) if base else host(resource.sms_url or resource.voice_url or "")
        if line_host and host(url) == line_host:
            problems.append(
                f"the {channel} fallback {url} is on the line's own host: when the line is down, so is its "
                "fallback; host it elsewhere (a TwiML Bin, object storage)"
            )
    return problems
