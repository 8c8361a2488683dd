"""The operator's dashboard, /insights: anonymous counts for a date range and locale, behind a login."""

import logging
import os
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from flask import Blueprint, Flask, Response, current_app, g, redirect, render_template, request, url_for
from sqlalchemy.exc import SQLAlchemyError

from app.errors import StartupError
from app.usage import cli as insights_cli
from app.usage import dashboard_view as view
from app.usage import insights_auth, insights_report
from app.usage.insights_report import Price
from app.usage.insights_words import load_insights

log = logging.getLogger("line")
bp = Blueprint("insights", __name__, url_prefix="/insights")

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


def engine():
    """The usage database's engine, for this process."""
    return current_app.extensions["usage_store"].engine


def page(template: str, status: int = 200, **values) -> Response:
    """Render one of the dashboard's pages with the words and the site around them."""
    site = next(iter(current_app.extensions["web_sites"].values()))  # the line's first locale
    html = render_template(template, words=view.words(), site=site, login=g.login, **values)
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
    response = page("insights_login.html", 503, message=view.words().login.unavailable, form=False)
    response.headers["Retry-After"] = "60"
    return response


def is_logged_in() -> bool:
    """Tell whether the request carries a login made with the password in force now, since the last logout."""
    key = insights_auth.session_key(engine())
    return bool(key) and g.login.logged_in(key)


def to_login() -> Response:
    """Send a logged-out request to the login page."""
    return redirect(url_for("insights.login"), code=303)


def expired() -> Response:
    """A form without this session's CSRF token: refuse it and say to start again."""
    return page(
        "insights_login.html", 400, message=view.words().login.expired, form=not is_logged_in(), back=is_logged_in()
    )


@bp.get("/login")
def login() -> Response:
    """The login form (or, once logged in, on to the dashboard)."""
    if is_logged_in():
        return redirect(url_for("insights.dashboard"), code=303)
    message = view.words().login.logged_out if request.args.get("out") == "1" else None
    return page("insights_login.html", message=message, form=True)


@bp.post("/login")
def login_post() -> Response:
    """Check the password: CSRF token first, then the rate limit, then the hash."""
    said = view.words().login
    if not g.login.token_matches(request.form.get("csrf", "")):
        return expired()
    client = insights_auth.client_key(request.remote_addr or "")
    moment = insights_auth.now()
    refused = insights_auth.limited(engine(), client, moment)
    if refused:
        text = said.limited if refused.who == "client" else said.limited_everyone
        response = page(
            "insights_login.html", 429, message=text.format(minutes=-(-refused.retry_after // 60)), form=True
        )
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
    g.login = insights_auth.logged_in_as(insights_auth.session_key(engine()))
    log.info("insights: logged in")
    return redirect(url_for("insights.dashboard"), code=303)


@bp.post("/logout")
def logout() -> Response:
    """End the session (a POST with the CSRF token, so no link elsewhere can log the operator out)."""
    if not g.login.token_matches(request.form.get("csrf", "")):
        return expired()
    insights_auth.end_sessions(engine())
    g.login = insights_auth.logged_out()
    return redirect(url_for("insights.login", out="1"), code=303)


@bp.get("")
def dashboard() -> Response:
    """The dashboard for the range and locale asked for."""
    if not is_logged_in():
        return to_login()
    known = insights_report.locales(engine())
    query, typed, errors = view.parse_query(request.args, known)
    choices = [("all", view.locale_name("all"))] + [(code, view.locale_name(code)) for code in known]
    values = {"typed": typed, "errors": errors, "choices": choices, "settings": current_app.extensions["insights"]}
    if errors:
        return page("insights.html", 400, **values)
    report = insights_report.read(engine(), query)
    showing = view.words().range.showing.format(
        start=query.start.isoformat(), end=query.end.isoformat(), locale=view.locale_name(query.locale)
    )
    return page(
        "insights.html",
        report=report,
        showing=showing,
        summary=view.summary_rows(report, values["settings"].price),
        args=view.range_args(query),
        reviewed=request.args.get("reviewed") == "1",
        **view.sections(report),
        **values,
    )


@bp.get("/counts.csv")
def counts_csv() -> Response:
    """The range's counts as CSV: by day, channel, locale, what was served and what happened."""
    if not is_logged_in():
        return to_login()
    query, _, errors = view.parse_query(request.args, insights_report.locales(engine()))
    if errors:
        return Response("\n".join(errors) + "\n", status=400, mimetype="text/plain")
    report = insights_report.read(engine(), query)
    name = f"insights-{query.start.isoformat()}-{query.end.isoformat()}-{query.locale}.csv"
    return Response(
        insights_report.to_csv(report),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


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
    """Load the dashboard's words and settings, register /insights and the set-password and unlock commands."""
    # The operator's page, in the line's first language where its pack has the dashboard's words, else English.
    code = app.extensions["line"].default.language_code
    has_words = (Path(app.config["CONTENT_DIR"]) / code / "insights.yaml").exists()
    app.extensions["insights_words"] = load_insights(app.config["CONTENT_DIR"], code if has_words else "en")
    app.extensions["insights"] = read_settings(app)
    app.register_blueprint(bp)
    insights_cli.insights.add_command(insights_auth.set_password_command)  # flask --app app insights set-password
    insights_cli.insights.add_command(insights_auth.unlock_command)  # flask --app app insights unlock
