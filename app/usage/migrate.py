"""Alembic, driven from the app: upgrade a database to the code's schema, or tell how far behind it is."""

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from app.usage.store import Store

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
UPGRADE_COMMAND = "flask --app app db upgrade"


def alembic_config() -> Config:
    """Alembic's settings, made in code: the one thing it needs is where the migrations are."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    return config


def database_heads(store: Store) -> set[str]:
    """The revisions the database has reached (empty for a new database)."""
    with store.engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads())


def behind(store: Store) -> bool:
    """Tell whether the database lacks a migration the code has (a database ahead of the code is not behind)."""
    script = ScriptDirectory.from_config(alembic_config())
    reached = database_heads(store)
    if not reached <= {revision.revision for revision in script.walk_revisions()}:
        return False  # a newer release migrated it; this older code still finds the tables it knows
    lineage = {revision.revision for head in reached for revision in script.iterate_revisions(head, "base")}
    return not set(script.get_heads()) <= lineage


def upgrade(store: Store) -> None:
    """Run every migration the database lacks, in one transaction."""
    config = alembic_config()
    with store.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "heads")
