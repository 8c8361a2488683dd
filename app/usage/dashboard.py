"""The operator's dashboard, /insights: anonymous counts for a date range and locale, behind a login."""

import logging
import os
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from flask import Blueprint, Flask, Response, current_app, g, redirect, render_template, request, url_for
from sqlalchemy.exc import SQLAlchemyError

from app.errors import StartupError
from app.usage import charts, insights_auth, insights_report
from app.usage import cli as insights_cli
from app.usage.insights_report import Price, Query, Report
from app.usage.insights_words import InsightsWords, load_insights

log = logging.getLogger("line")
bp = Blueprint("insights", __name__, url_prefix="/insights")

DEFAULT_DAYS = 30
MOST_DAYS = 731  # two years: the counts are kept 24 months by default
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
LOCALE = re.compile(r"^[a-z]{2,3}-[A-Z]{2}$")
PRICE = re.compile(r"^(\d{1,6}(?:\.\d{1,6})?)\s+([A-Z]{3})$")
ON = ("1", "true", "yes", "on")


@dataclass(frozen=True)
class Settings:
    """The dashboard's settings: the SMS price (None: no cost shown) and whether unmatched texts are kept."""

    price: Price | None
    record_unmatched: bool


def setting(app: Flask, name: str) -> str:
    """A setting from the app's config (create_app's test_config) first, then the environment."""
    value = app.config.get(name)
    return str(value if value not in (None, "") else os.environ.get(name, "")).strip()


def read_settings(app: Flask) -> Settings:
    """SMS_SEGMENT_PRICE ("0.04 GBP") and RECORD_UNMATCHED; a malformed price stops the start with one line."""
    raw = setting(app, "SMS_SEGMENT_PRICE")
    price = None
    if raw:
        match = PRICE.match(raw)
        if not match:
            raise StartupError(f"setting SMS_SEGMENT_PRICE: {raw!r} must be a price and a currency, such as 0.04 GBP")
        price = Price(Decimal(match[1]), match[2])
    return Settings(price, setting(app, "RECORD_UNMATCHED").lower() in ON)


def words() -> InsightsWords:
    """The dashboard's words."""
    return current_app.extensions["insights_words"]


def engine():
    """The usage database's engine, for this process."""
    return current_app.extensions["usage_store"].engine


def today() -> date:
    """Today in UTC: the counts' days are UTC days."""
    return datetime.now(UTC).date()


def page(template: str, status: int = 200, **values) -> Response:
    """Render one of the dashboard's pages with the words and the site around them."""
    site = next(iter(current_app.extensions["web_sites"].values()))  # the line's first locale
    html = render_template(template, words=words(), site=site, login=g.login, **values)
    return Response(html, status=status, mimetype="text/html")


@bp.before_request
def open_login() -> None:
    """Read the dashboard's own cookie for every request under /insights."""
    g.login = insights_auth.open_login(request)


@bp.after_request
def close_login(response: Response) -> Response:
    """Write the cookie if it changed; nothing on these pages may be cached or indexed."""
    insights_auth.save_login(g.login, response)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.errorhandler(SQLAlchemyError)
def database_down(error: SQLAlchemyError) -> Response:
    """A database that is down, slow or locked: say so, never a 500."""
    log.warning("insights: the usage database could not be read (%s)", type(error).__name__)
    response = page("insights_login.html", 503, message=words().login.unavailable, form=False)
    response.headers["Retry-After"] = "60"
    return response


def is_logged_in() -> bool:
    """Tell whether the request carries a login made with the password in force now."""
    stored = insights_auth.password_hash(engine())
    return bool(stored) and g.login.logged_in(stored)


def to_login() -> Response:
    """Send a logged-out request to the login page."""
    return redirect(url_for("insights.login"), code=303)


def expired() -> Response:
    """A form without this session's CSRF token: refuse it and say to start again."""
    return page("insights_login.html", 400, message=words().login.expired, form=not is_logged_in(),
                back=is_logged_in())


@bp.get("/login")
def login() -> Response:
    """The login form (or, once logged in, on to the dashboard)."""
    if is_logged_in():
        return redirect(url_for("insights.dashboard"), code=303)
    message = words().login.logged_out if request.args.get("out") == "1" else None
    return page("insights_login.html", message=message, form=True)


@bp.post("/login")
def login_post() -> Response:
    """Check the password: CSRF token first, then the rate limit, then the hash."""
    said = words().login
    if not g.login.token_matches(request.form.get("csrf", "")):
        return expired()
    client = insights_auth.client_key(request.remote_addr or "")
    moment = insights_auth.now()
    refused = insights_auth.limited(engine(), client, moment)
    if refused:
        text = said.limited if refused.who == "client" else said.limited_everyone
        response = page("insights_login.html", 429, message=text.format(minutes=-(-refused.retry_after // 60)),
                        form=True)
        response.headers["Retry-After"] = str(refused.retry_after)
        return response
    stored = insights_auth.password_hash(engine())
    if not stored:
        return page("insights_login.html", 503, message=said.not_set, command=said.not_set_command, form=False)
    if not insights_auth.check_password(stored, request.form.get("password", "")):
        insights_auth.count_failure(engine(), client, moment)
        log.info("insights: a wrong password")
        return page("insights_login.html", 403, message=said.wrong, form=True)
    insights_auth.forget_failures(engine(), client)
    g.login = insights_auth.logged_in_as(stored)
    log.info("insights: logged in")
    return redirect(url_for("insights.dashboard"), code=303)


@bp.post("/logout")
def logout() -> Response:
    """End the session (a POST with the CSRF token, so no link elsewhere can log the operator out)."""
    if not g.login.token_matches(request.form.get("csrf", "")):
        return expired()
    g.login = insights_auth.logged_out()
    return redirect(url_for("insights.login", out="1"), code=303)


def parse_date(raw: str, label: str, errors: list[str]) -> date | None:
    """A YYYY-MM-DD date from the form, or None with a clear complaint added to `errors`."""
    value = None
    if ISO_DATE.match(raw):
        try:
            value = date.fromisoformat(raw)
        except ValueError:
            value = None
    if value is None:
        errors.append(words().range.bad_date.format(field=label, example=today().isoformat()))
    return value


def parse_query(args, known_locales: list[str]) -> tuple[Query | None, dict, list[str]]:
    """The range and locale asked for (default: the last 30 days, all locales), what was typed, and any complaints."""
    said = words().range
    end_default = today()
    typed = {
        "start": args.get("from", "").strip() or (end_default - timedelta(days=DEFAULT_DAYS - 1)).isoformat(),
        "end": args.get("to", "").strip() or end_default.isoformat(),
        "locale": args.get("locale", "all").strip() or "all",
    }
    errors: list[str] = []
    start = parse_date(typed["start"], said.start, errors)
    end = parse_date(typed["end"], said.end, errors)
    if start and end and start > end:
        errors.append(said.backwards)
    elif start and end and (end - start).days + 1 > MOST_DAYS:
        errors.append(said.too_long.format(days=MOST_DAYS))
    if typed["locale"] != "all" and not (LOCALE.match(typed["locale"]) and typed["locale"] in known_locales):
        errors.append(said.bad_locale)
    if errors:
        return None, typed, errors
    return Query(start, end, typed["locale"]), typed, []


def locale_name(code: str) -> str:
    """A locale as the dashboard names it."""
    return words().range.all_locales if code == "all" else words().locales.get(code, code)


def served_name(served: str) -> str:
    """What the line served: as insights.yaml names it, else by the piece's own title."""
    topics, named = current_app.extensions["line"].default.topics, words().served
    if served in named:
        return named[served]
    return topics[served].title if served in topics else served


def rate(count: int, total: int) -> str:
    """A count with its share of a total."""
    if not total:
        return charts.number(count)
    percent = f"{100 * count / total:.1f}%"
    return words().summary.rate.format(count=charts.number(count), percent=percent, total=charts.number(total))


def summary_rows(report: Report, settings: Settings) -> list[tuple[str, str]]:
    """The totals table: (what, how many)."""
    said, n = words().summary, charts.number
    texts_started = sum(report.started[c] for c in insights_report.TEXT_CHANNELS)
    rows = [
        (said.texts, n(report.texts)),
        (said.text_conversations, n(texts_started)),
        (said.calls, n(report.started["voice"])),
        (said.not_understood_texts, rate(report.outcome("not_understood", "text"), report.texts)),
        (said.not_understood_calls, rate(report.outcome("not_understood", "voice"), report.voice_steps)),
        (said.emergency, n(report.outcome("emergency"))),
        (said.cant_advise, n(report.outcome("cant_advise"))),
        (said.opt_outs, n(report.outcome("opt_out"))),
        (said.text_sent, n(report.outcome("text_sent"))),
        (said.text_failed, n(report.outcome("text_failed"))),
        (said.errors, n(report.outcome("error"))),
        (said.segments, n(report.segments)),
    ]
    if settings.price:
        cost = said.cost_value.format(amount=report.cost(settings.price), currency=settings.price.currency,
                                      price=settings.price.amount)
        rows.append((said.cost, cost))
    else:
        rows.append((said.cost, said.cost_unset))
    if report.dropped:
        rows.append((said.dropped, n(report.dropped)))
    return rows


def sections(report: Report) -> dict:
    """The charts and their tables' rows."""
    said = words()
    days = report.query.days()
    daily_rows = list(zip(days, report.texts_per_day, report.calls_per_day, strict=True))
    topics = list(current_app.extensions["line"].default.topics)
    pieces = [(served_name(p), texts, calls) for p, texts, calls in insights_report.by_piece(report, topics)]
    steps = [(served_name(s), count) for s, count in sorted(report.steps.items(), key=lambda i: (-i[1], i[0]))]
    return {
        "daily": daily_rows,
        "daily_chart": charts.columns(
            [d.isoformat() for d in days],
            [(said.daily.texts, list(report.texts_per_day)), (said.daily.calls, list(report.calls_per_day))],
            [f"{d.day} {said.months[d.month - 1]}" for d in days],
        ),
        "pieces": pieces,
        "pieces_chart": charts.rows([p for p, _, _ in pieces], [(said.pieces.texts, [t for _, t, _ in pieces]),
                                                                (said.pieces.calls, [c for _, _, c in pieces])]),
        "steps": steps,
        "steps_chart": charts.rows([s for s, _ in steps], [(said.steps.requests, [c for _, c in steps])]),
        "lengths": list(report.lengths.items()),
    }


def range_args(query: Query) -> dict:
    """The query string that shows this range again."""
    return {"from": query.start.isoformat(), "to": query.end.isoformat(), "locale": query.locale}


@bp.get("")
def dashboard() -> Response:
    """The dashboard for the range and locale asked for."""
    if not is_logged_in():
        return to_login()
    known = insights_report.locales(engine())
    query, typed, errors = parse_query(request.args, known)
    choices = [("all", locale_name("all"))] + [(code, locale_name(code)) for code in known]
    values = {"typed": typed, "errors": errors, "choices": choices, "settings": current_app.extensions["insights"]}
    if errors:
        return page("insights.html", 400, **values)
    report = insights_report.read(engine(), query)
    showing = words().range.showing.format(start=query.start.isoformat(), end=query.end.isoformat(),
                                           locale=locale_name(query.locale))
    return page(
        "insights.html",
        report=report,
        showing=showing,
        summary=summary_rows(report, values["settings"]),
        args=range_args(query),
        reviewed=request.args.get("reviewed") == "1",
        **sections(report),
        **values,
    )


@bp.get("/counts.csv")
def counts_csv() -> Response:
    """The range's counts as CSV: by day, channel, locale, what was served and what happened."""
    if not is_logged_in():
        return to_login()
    query, _, errors = parse_query(request.args, insights_report.locales(engine()))
    if errors:
        return Response("\n".join(errors) + "\n", status=400, mimetype="text/plain")
    report = insights_report.read(engine(), query)
    name = f"insights-{query.start.isoformat()}-{query.end.isoformat()}-{query.locale}.csv"
    return Response(insights_report.to_csv(report), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.post("/unmatched/<int:text_id>/reviewed")
def mark_reviewed(text_id: int) -> Response:
    """Mark one kept text as reviewed, then show the same range again."""
    if not is_logged_in():
        return to_login()
    if not g.login.token_matches(request.form.get("csrf", "")):
        return expired()
    insights_report.mark_reviewed(engine(), text_id)
    back = {k: request.form.get(k, "") for k in ("from", "to", "locale") if request.form.get(k)}
    return redirect(url_for("insights.dashboard", reviewed="1", **back, _anchor="unmatched"), code=303)


def init_app(app: Flask) -> None:
    """Load the dashboard's words and settings, register /insights and the set-password command."""
    # The operator's page, in the line's first language where its pack has the dashboard's words, else English.
    code = app.extensions["line"].default.language_code
    has_words = (Path(app.config["CONTENT_DIR"]) / code / "insights.yaml").exists()
    app.extensions["insights_words"] = load_insights(app.config["CONTENT_DIR"], code if has_words else "en")
    app.extensions["insights"] = read_settings(app)
    app.register_blueprint(bp)
    insights_cli.insights.add_command(insights_auth.set_password_command)  # flask --app app insights set-password
