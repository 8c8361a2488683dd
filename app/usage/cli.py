"""The usage counts from a terminal: `flask --app app insights` (a summary), `insights prune`, `db upgrade`."""

import json
from datetime import UTC, datetime, timedelta

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from app.usage import migrate
from app.usage.ledger import KEEP
from app.usage.store import Store, describe

UNMATCHED_DAYS = 30  # texts kept with RECORD_UNMATCHED=1 are deleted after this many days


@click.group("insights", cls=AppGroup, invoke_without_command=True)
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), help="First day (UTC), default 30 days ago.")
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), help="Last day (UTC), default today.")
@click.option("--locale", help="Only this locale, for example en-GB.")
@click.option("--json", "as_json", is_flag=True, help="Print the numbers as JSON, for scripts.")
@with_appcontext
@click.pass_context
def insights(ctx: click.Context, start, end, locale, as_json) -> None:
    """Print what the line did for a date range: answers, outcomes, what was served, SMS segments, call lengths."""
    if ctx.invoked_subcommand is not None:
        return
    last = end.date() if end else datetime.now(UTC).date()
    first = start.date() if start else last - timedelta(days=29)
    if first > last:
        raise click.BadParameter(f"--from {first} is after --to {last}")
    summary = current_app.extensions["usage_store"].summary(first, last, locale)
    click.echo(json.dumps(summary, indent=2) if as_json else render(summary))


def render(summary: dict) -> str:
    """The summary as lines of plain text."""

    def listed(counts: dict) -> str:
        return ", ".join(f"{name} {number}" for name, number in counts.items() if number) or "none"

    answers = sum(summary["answers"].values())
    not_understood = summary["outcomes"].get("not_understood", 0)
    rate = f"{100 * not_understood / answers:.1f}%" if answers else "-"
    return "\n".join([
        f"Usage from {summary['from']} to {summary['to']} (UTC), locale: {summary['locale']}",
        f"answers: {answers} ({listed(summary['answers'])})",
        f"conversations started: {sum(summary['conversations'].values())} ({listed(summary['conversations'])})",
        f"outcomes: {listed(summary['outcomes'])}",
        f"not understood: {rate} of all answers, texts and phone steps together (the dashboard splits them)",
        f"answers by what was served (any outcome, each phone step): {listed(summary['served'])}",
        f"SMS segments sent: {summary['segments']}",
        f"call lengths: {listed(summary['call_durations'])}",
        f"answers not counted (database unreachable too long): {summary['not_counted']}",
    ])


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and hour `months` calendar months earlier (the month's last day where it is shorter)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    day = moment.day
    while True:
        try:
            return moment.replace(year=year, month=month + 1, day=day)
        except ValueError:
            day -= 1


@insights.command("prune")
@click.option("--months", type=click.IntRange(min=1), help="Keep this many months (default USAGE_RETENTION_MONTHS).")
def prune(months: int | None) -> None:
    """Delete counts older than the retention (default 24 months), text-me claims older than 24 hours,
    and unmatched texts older than 30 days. Run it daily from a scheduler."""
    keep = months or current_app.extensions["usage_settings"]["USAGE_RETENTION_MONTHS"]
    now = datetime.now(UTC).replace(tzinfo=None, minute=0, second=0, microsecond=0)
    deleted = current_app.extensions["usage_store"].prune(
        months_before(now, keep), now - KEEP, now.date() - timedelta(days=UNMATCHED_DAYS)
    )
    click.echo(f"kept {keep} months; deleted " + ", ".join(f"{table} {rows}" for table, rows in deleted.items()))


@click.group("db")
def db() -> None:
    """The usage database's schema (Alembic migrations); works even when the app refuses an old schema."""


def store_from_environment() -> Store:
    """The database the app would open, found without starting the app (which refuses an old schema)."""
    import os

    from app.usage import default_url

    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        bare = Flask("app")  # only for its instance folder, where the embedded database lives
        os.makedirs(bare.instance_path, exist_ok=True)
        url = default_url(bare)
    return Store(url, timeout=10)  # a migration may take longer than an answer's flush


@db.command("upgrade")
def upgrade() -> None:
    """Run the migrations the database lacks (the Procfile's release step)."""
    store = store_from_environment()
    try:
        migrate.upgrade(store)
    except Exception as error:
        reason = (str(getattr(error, "orig", None) or error).splitlines() or [""])[0]
        problem = f"{type(error).__name__}: {reason}"
        raise click.ClickException(f"could not migrate {describe(store.url)}: {problem}") from None
    click.echo(f"{describe(store.url)} is at revision {', '.join(sorted(migrate.database_heads(store)))}")


@db.command("current")
def current() -> None:
    """Print the database's revision; exit 1 when it is older than the code."""
    store = store_from_environment()
    reached = ", ".join(sorted(migrate.database_heads(store))) or "empty"
    click.echo(f"{describe(store.url)} is at revision {reached}")
    if migrate.behind(store):
        raise click.ClickException(f"older than the code: run `{migrate.UPGRADE_COMMAND}`")


def init_app(app: Flask) -> None:
    """Register `flask insights` (the `db` commands are a Flask plugin: they must run without the app)."""
    app.cli.add_command(insights)
