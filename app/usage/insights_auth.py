"""The dashboard's login: the operator's password hash, its own signed cookie, CSRF tokens, and the rate limit.

The password hash lives in the database (schema.insights_settings), written by
`flask --app app insights set-password`: the command does the whole job (no hash full of "$" signs to
copy into a platform's settings), and a new password takes effect at once in every worker and machine,
logging out every session made with the old one.
"""

import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import click
from flask import Flask, Request, Response, current_app
from flask.cli import with_appcontext
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import Connection, Engine, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from werkzeug.security import check_password_hash, generate_password_hash

from app.usage import schema

COOKIE = "insights"
LIFETIME = timedelta(hours=8)  # a working day: then the operator logs in again
PASSWORD_SETTING = "password_hash"
EPOCH_SETTING = "session_epoch"  # replaced at every logout: each session made before it ends, copies of its cookie too
SHORTEST_PASSWORD = 12
WINDOW = timedelta(minutes=15)  # wrong passwords are counted over this long
MOST_PER_CLIENT = 5  # wrong passwords from one address in the window
MOST_IN_ALL = 50  # wrong passwords from everyone in the window: a ceiling on guessing from many addresses
KEEP = timedelta(days=1)  # failed-login rows are deleted after this


def now() -> datetime:
    """The time in UTC, without a zone, as the tables store it."""
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass
class Login:
    """What the dashboard's cookie holds: a CSRF token and, once logged in, which password it was made with."""

    csrf: str
    password: str = ""  # a fingerprint of the password hash in force at login; "" when logged out
    changed: bool = False  # write the cookie on the response

    def logged_in(self, current_key: str) -> bool:
        """Tell whether this cookie was logged in with the password in force now, since the last logout."""
        return bool(self.password) and hmac.compare_digest(self.password, fingerprint(current_key))

    def token_matches(self, sent: str) -> bool:
        """Tell whether a form carried this session's CSRF token."""
        return bool(sent) and hmac.compare_digest(sent.encode(), self.csrf.encode())


def fingerprint(key: str) -> str:
    """A short, one-way mark of a session key: a new password, or a logout, ends every session made before."""
    return hashlib.sha256(key.encode()).hexdigest()[:16] if key else ""


def serializer(app: Flask) -> URLSafeTimedSerializer:
    """Signs the cookie with SECRET_KEY, apart from every other use of that key, and stamps it with its time."""
    return URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="second-opinion-line insights login")


def open_login(request: Request) -> Login:
    """The login from the request's cookie; a new, logged-out one for a missing, forged or expired cookie."""
    raw = request.cookies.get(COOKIE, "")
    try:
        data = serializer(current_app).loads(raw, max_age=LIFETIME.total_seconds()) if raw else None
    except BadSignature:  # includes an expired signature
        data = None
    if isinstance(data, dict) and isinstance(data.get("csrf"), str) and isinstance(data.get("password", ""), str):
        return Login(data["csrf"], data.get("password", ""))
    return logged_out()


def logged_out() -> Login:
    """A new session, not logged in, with a fresh CSRF token for its forms."""
    return Login(secrets.token_urlsafe(32), changed=True)


def save_login(login: Login, response: Response) -> None:
    """Write the cookie if it changed: HttpOnly, SameSite=Strict, only for /insights, Secure in production."""
    if not login.changed:
        return
    value = serializer(current_app).dumps({"csrf": login.csrf, "password": login.password})
    response.set_cookie(
        COOKIE, value, path="/insights", httponly=True, samesite="Strict",
        secure=current_app.config["LINE_ENV"] == "production",
    )


def logged_in_as(key: str) -> Login:
    """A fresh session for a correct password: a new CSRF token, so one seen before login is worth nothing."""
    return Login(secrets.token_urlsafe(32), fingerprint(key), changed=True)


def password_hash(engine: Engine) -> str:
    """The operator's password hash, or "" when none is set."""
    with engine.connect() as connection:
        table = schema.insights_settings
        value = connection.execute(select(table.c.value).where(table.c.name == PASSWORD_SETTING)).scalar()
    return value or ""


def session_key(engine: Engine) -> str:
    """What a login is made with and checked against: the password hash in force and the session epoch."""
    table = schema.insights_settings
    with engine.connect() as connection:
        found = dict(connection.execute(
            select(table.c.name, table.c.value).where(table.c.name.in_((PASSWORD_SETTING, EPOCH_SETTING)))
        ).all())
    return f"{found[PASSWORD_SETTING]}:{found.get(EPOCH_SETTING) or ''}" if found.get(PASSWORD_SETTING) else ""


def end_sessions(engine: Engine) -> None:
    """Log out every session, with a new epoch (a logout: a saved copy of the cookie is worth nothing after)."""
    put_setting(engine, EPOCH_SETTING, secrets.token_hex(16))


def set_password_hash(engine: Engine, new_hash: str) -> None:
    """Store the operator's password hash, replacing any before it."""
    put_setting(engine, PASSWORD_SETTING, new_hash)


def put_setting(engine: Engine, name: str, value: str) -> None:
    """Store one of the dashboard's settings, replacing any before it."""
    table = schema.insights_settings
    with engine.begin() as connection:
        statement = dialect(connection).insert(table).values(name=name, value=value)
        connection.execute(statement.on_conflict_do_update(index_elements=[table.c.name], set_={"value": value}))


def dialect(connection: Connection):
    """The module whose INSERT can say ON CONFLICT, for this database."""
    return postgresql if connection.dialect.name == "postgresql" else sqlite


def client_key(address: str) -> str:
    """A client address as the rate limit keeps it: a keyed hash, so no address is stored."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"insights-login:{address}".encode(), hashlib.sha256).hexdigest()[:32]


@dataclass(frozen=True)
class Limited:
    """A refused login attempt: who is limited ("client" or "everyone") and for how many seconds."""

    who: str
    retry_after: int


def retry_after(oldest: datetime, moment: datetime) -> int:
    """Seconds until the oldest counted failure leaves the window, at least one."""
    return max(1, math.ceil((oldest + timedelta(minutes=1) + WINDOW - moment).total_seconds()))


def limited(engine: Engine, client: str, moment: datetime) -> Limited | None:
    """Whether this client, or everyone, has had too many wrong passwords in the window."""
    since = moment - WINDOW
    mine, everyone = schema.insights_login_clients, schema.insights_login
    with engine.connect() as connection:
        count, oldest = connection.execute(
            select(func.sum(mine.c.failures), func.min(mine.c.minute)).where(mine.c.client == client,
                                                                              mine.c.minute > since)
        ).one()
        if (count or 0) >= MOST_PER_CLIENT:
            return Limited("client", retry_after(oldest, moment))
        count, oldest = connection.execute(
            select(func.sum(everyone.c.failures), func.min(everyone.c.minute)).where(everyone.c.minute > since)
        ).one()
        if (count or 0) >= MOST_IN_ALL:
            return Limited("everyone", retry_after(oldest, moment))
    return None


def count_failure(engine: Engine, client: str, moment: datetime) -> None:
    """Add a wrong password to this client's and everyone's count for this minute; forget day-old ones."""
    minute = moment.replace(second=0, microsecond=0)
    mine, everyone = schema.insights_login_clients, schema.insights_login
    with engine.begin() as connection:
        insert = dialect(connection).insert
        statement = insert(mine).values(minute=minute, client=client, failures=1)
        connection.execute(statement.on_conflict_do_update(
            index_elements=[mine.c.minute, mine.c.client], set_={"failures": mine.c.failures + 1}))
        statement = insert(everyone).values(minute=minute, failures=1)
        connection.execute(statement.on_conflict_do_update(
            index_elements=[everyone.c.minute], set_={"failures": everyone.c.failures + 1}))
        connection.execute(delete(mine).where(mine.c.minute < moment - KEEP))
        connection.execute(delete(everyone).where(everyone.c.minute < moment - KEEP))


def forget_failures(engine: Engine, client: str) -> None:
    """After a correct password, this client's wrong ones no longer count against it."""
    with engine.begin() as connection:
        clients = schema.insights_login_clients
        connection.execute(delete(clients).where(clients.c.client == client))


def check_password(stored_hash: str, password: str) -> bool:
    """Tell whether `password` matches the stored hash (werkzeug's constant-time check)."""
    return bool(stored_hash) and check_password_hash(stored_hash, password)


@click.command("set-password")
@with_appcontext
def set_password_command() -> None:
    """Set the password for the /insights dashboard (asked twice, never shown; only its hash is stored)."""
    password = click.prompt("New dashboard password", hide_input=True, confirmation_prompt=True)
    if len(password) < SHORTEST_PASSWORD:
        raise click.ClickException(f"the password must be at least {SHORTEST_PASSWORD} characters; nothing changed")
    engine = current_app.extensions["usage_store"].engine
    set_password_hash(engine, generate_password_hash(password))  # werkzeug's default: scrypt, salted
    click.echo("Password set. Sessions logged in with an old password are logged out.")


@click.command("unlock")
@with_appcontext
def unlock_command() -> None:
    """Forget every wrong password counted, so the login works again at once (after a lock-out)."""
    engine = current_app.extensions["usage_store"].engine
    with engine.begin() as connection:
        for table in (schema.insights_login_clients, schema.insights_login):
            connection.execute(delete(table))
    click.echo("Wrong passwords forgotten: the dashboard's login is open again.")
