"""The usage counts, the text-me ledger, unmatched texts and the dashboard's state.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

HOUR = sa.DateTime(timezone=False)


def upgrade() -> None:
    """Create every table of app/usage/schema.py as they were at this revision."""
    op.create_table(
        "usage_counts",
        sa.Column("hour", HOUR, nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("locale", sa.String(8), nullable=False),
        sa.Column("served", sa.String(32), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("answers", sa.Integer, nullable=False),
        sa.Column("segments", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("hour", "channel", "locale", "served", "outcome", name="pk_usage_counts"),
    )
    op.create_table(
        "conversations",
        sa.Column("hour", HOUR, nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("locale", sa.String(8), nullable=False),
        sa.Column("started", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("hour", "channel", "locale", name="pk_conversations"),
    )
    op.create_table(
        "call_durations",
        sa.Column("hour", HOUR, nullable=False),
        sa.Column("locale", sa.String(8), nullable=False),
        sa.Column("bucket", sa.String(8), nullable=False),
        sa.Column("calls", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("hour", "locale", "bucket", name="pk_call_durations"),
    )
    op.create_table(
        "dropped_counts",
        sa.Column("hour", HOUR, nullable=False),
        sa.Column("answers", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("hour", name="pk_dropped_counts"),
    )
    op.create_table(
        "text_claims",
        sa.Column("claim", sa.CHAR(64), nullable=False),
        sa.Column("hour", HOUR, nullable=False),
        sa.PrimaryKeyConstraint("claim", name="pk_text_claims"),
    )
    op.create_index("ix_text_claims_hour", "text_claims", ["hour"])
    op.create_table(
        "unmatched",
        sa.Column("id", sa.Integer, nullable=False, autoincrement=True),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("locale", sa.String(8), nullable=False),
        sa.Column("text", sa.String(160), nullable=False),
        sa.Column("reviewed", sa.Boolean(create_constraint=True, name="ck_unmatched_reviewed_bool"), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_unmatched"),
    )
    op.create_index("ix_unmatched_day", "unmatched", ["day"])
    op.create_table(
        "insights_login",
        sa.Column("minute", HOUR, nullable=False),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("minute", name="pk_insights_login"),
        sa.CheckConstraint("failures >= 0", name="ck_insights_login_failures_positive"),
    )
    op.create_table(
        "insights_login_clients",
        sa.Column("minute", HOUR, nullable=False),
        sa.Column("client", sa.CHAR(32), nullable=False),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("minute", "client", name="pk_insights_login_clients"),
        sa.CheckConstraint("failures >= 0", name="ck_insights_login_clients_failures_positive"),
    )
    op.create_table(
        "insights_settings",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("value", sa.String(512), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_insights_settings"),
    )


def downgrade() -> None:
    """Drop them all."""
    for table in ("insights_settings", "insights_login_clients", "insights_login", "unmatched", "text_claims",
                  "dropped_counts", "call_durations", "conversations", "usage_counts"):
        op.drop_table(table)
