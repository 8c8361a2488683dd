"""Alembic's environment: run the migrations on the connection (or URL) app.usage.migrate hands over."""

from alembic import context
from sqlalchemy import create_engine

from app.usage import schema
from app.usage.store import normalise_url

config = context.config


def run(connection) -> None:
    """Migrate on one connection, in one transaction; batch mode lets SQLite alter tables too."""
    context.configure(connection=connection, target_metadata=schema.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run(connection)
else:  # the alembic command line, with sqlalchemy.url set in alembic.ini or by -x
    engine = create_engine(normalise_url(config.get_main_option("sqlalchemy.url")))
    with engine.begin() as connection:
        run(connection)
