"""Anonymous usage counts in a real database, and the shared "text me this" ledger.

The database is DATABASE_URL (PostgreSQL, for a line on several machines) or, when that is unset, a
SQLite file in the Flask instance folder. That default file is private to this server, so the app
creates and upgrades its schema itself at start-up (before gunicorn forks): the README's run command
needs no set-up. A DATABASE_URL database is shared, so it is never migrated by the app: several
machines starting at once must not race a migration, and a release must fail before it serves. The
Procfile's release step runs `flask --app app db upgrade`, and the app refuses to start on a schema
older than the code. A test app (TESTING) with no DATABASE_URL gets a private in-memory database.
"""

import logging
import os
from pathlib import Path

from flask import Flask

from app.errors import StartupError
from app.usage import migrate, schema, unmatched
from app.usage.ledger import Ledger
from app.usage.recorder import Recorder
from app.usage.store import MEMORY_URL, Store, describe

log = logging.getLogger("line")

# Settings of this package: the app's config (create_app's test_config) first, then the environment.
SETTINGS = {
    "DATABASE_URL": "",
    "USAGE_COUNTS": "on",  # "off" records nothing (the benchmark's baseline); the ledger still works
    "USAGE_FLUSH_SECONDS": 5.0,
    "USAGE_BUFFER_ROWS": 10_000,  # rows (hour x kind of answer) kept while the database is unreachable
    "USAGE_RETENTION_MONTHS": 24,
    "USAGE_DB_TIMEOUT": 2.0,  # seconds for any connect, statement or lock wait
    "RECORD_UNMATCHED": "",  # 1: keep texts the line did not understand, scrubbed (app/usage/unmatched.py)
}


def settings(app: Flask) -> dict:
    """This package's settings, each checked: a bad one stops the start with one line."""
    values = {}
    for name, default in SETTINGS.items():
        raw = app.config.get(name)
        raw = os.environ.get(name, "").strip() if raw in (None, "") else raw
        if raw in (None, ""):
            values[name] = default
            continue
        try:
            values[name] = type(default)(raw)
        except ValueError:
            kind = "a whole number" if isinstance(default, int) else "a number"
            raise StartupError(f"setting {name}: {raw!r} is not {kind}") from None
        if isinstance(default, (int, float)) and values[name] <= 0:
            raise StartupError(f"setting {name}: {raw!r} must be above 0")
    if values["USAGE_COUNTS"] not in ("on", "off"):
        raise StartupError(f"setting USAGE_COUNTS: {values['USAGE_COUNTS']!r} must be on or off")
    return values


def default_url(app: Flask) -> str:
    """The embedded database: a SQLite file in the instance folder (or in memory for a test app)."""
    if app.testing:
        return MEMORY_URL
    return f"sqlite:///{Path(app.instance_path) / 'usage.sqlite3'}"


def prepare(store: Store, embedded: bool) -> None:
    """Bring the embedded database up to date, or refuse a shared one that is behind; a database down waits."""
    try:
        if store.url == MEMORY_URL:
            schema.metadata.create_all(store.engine)  # a test app's private database: no history to migrate
        elif embedded:
            migrate.upgrade(store)
        elif migrate.behind(store):
            raise StartupError(
                f"the usage database {describe(store.url)} is older than the code: run `{migrate.UPGRADE_COMMAND}`"
            )
    except StartupError:
        raise
    except Exception as error:  # unreachable now: the line still starts, and counts wait in memory until it is back
        log.warning("usage counts: the database could not be checked at start-up (%s)", type(error).__name__)
    finally:
        if store.url != MEMORY_URL:  # gunicorn's master never uses a connection: leave none open across the fork
            store.close()


def init_app(app: Flask) -> None:
    """Open the database, check its schema, and register the recorder, the ledger, /voice/status and the CLI."""
    from app.usage import cli, status

    values = settings(app)
    embedded = not values["DATABASE_URL"]
    if embedded and not app.testing:
        os.makedirs(app.instance_path, exist_ok=True)
    store = Store(values["DATABASE_URL"] or default_url(app), timeout=values["USAGE_DB_TIMEOUT"])
    prepare(store, embedded)
    app.extensions["usage_store"] = store
    app.extensions["usage_settings"] = values
    # A call's status callback does not say which language the caller chose: its duration is counted
    # under the line's first locale.
    app.extensions["usage_locale"] = app.extensions["line"].default.tag
    app.extensions["text_ledger"] = Ledger(store, app.config["SECRET_KEY"])
    app.extensions["usage_unmatched"] = str(values["RECORD_UNMATCHED"]).lower() in unmatched.ON
    if values["USAGE_COUNTS"] == "on":
        recorder = Recorder(store, values["USAGE_FLUSH_SECONDS"], values["USAGE_BUFFER_ROWS"])
        app.extensions["usage_recorder"] = recorder
        app.extensions.setdefault("event_sinks", []).append(recorder)
    status.init_app(app)
    cli.init_app(app)
