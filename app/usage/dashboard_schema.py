"""The dashboard's own table, beside app/usage/schema.py: failed logins per client, for the per-address rate limit.

NEEDS A MIGRATION (for whoever owns migrations/): create `insights_login_clients` as below. The
dashboard counts wrong passwords per client address across every worker and machine here, and
across everyone in schema.insights_login. No address is kept: `client` is HMAC-SHA256(SECRET_KEY,
address) in hex, cut to 32 characters, and rows are deleted after a day.
"""

from sqlalchemy import CHAR, CheckConstraint, Column, DateTime, Integer, Table

from app.usage.schema import metadata

insights_login_clients = Table(
    "insights_login_clients",
    metadata,
    Column("minute", DateTime(timezone=False), primary_key=True),  # UTC, truncated to the minute
    Column("client", CHAR(32), primary_key=True),
    Column("failures", Integer, nullable=False, default=0),
    CheckConstraint("failures >= 0", name="failures_positive"),
)
