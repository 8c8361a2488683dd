"""The usage database's tables (SQLAlchemy Core): anonymous counts by the hour, and the text-me ledger.

Nothing here holds a message text, a phone number, a name, or a call or message id, and no time is
finer than the hour (the day, for `unmatched`). Every change to these tables needs an Alembic
migration under migrations/versions/: the app refuses to start on a database older than the code.
"""

from sqlalchemy import (
    CHAR,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
)

# Named constraints, so migrations can refer to them on SQLite and PostgreSQL alike.
metadata = MetaData(
    naming_convention={
        "pk": "pk_%(table_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ix": "ix_%(table_name)s_%(column_0_name)s",
    }
)

# Column sizes: the longest value the line uses, with room to grow.
CHANNEL = 16  # "sms", "whatsapp", "voice"
LOCALE = 8  # "en-GB", "cy-GB", "es-US"
SERVED = 32  # a topic or reply id, or a phone menu name
OUTCOME = 16  # one of app.events.OUTCOMES
BUCKET = 8  # one of CALL_BUCKETS

# Call-length buckets, from Twilio's CallDuration (seconds): (label, upper bound, exclusive).
CALL_BUCKETS = (("0-30s", 30), ("30-60s", 60), ("1-2min", 120), ("2-5min", 300), ("5min+", None))

# What each answer was: one row per hour and kind, the counts added to by every worker's flush.
usage_counts = Table(
    "usage_counts",
    metadata,
    Column("hour", DateTime(timezone=False), primary_key=True),  # UTC, truncated to the hour
    Column("channel", String(CHANNEL), primary_key=True),
    Column("locale", String(LOCALE), primary_key=True),
    Column("served", String(SERVED), primary_key=True),
    Column("outcome", String(OUTCOME), primary_key=True),
    Column("answers", Integer, nullable=False, default=0),
    Column("segments", Integer, nullable=False, default=0),  # SMS segments sent in those answers
)

# Conversations started: a text without a state cookie, or a call answered.
conversations = Table(
    "conversations",
    metadata,
    Column("hour", DateTime(timezone=False), primary_key=True),
    Column("channel", String(CHANNEL), primary_key=True),
    Column("locale", String(LOCALE), primary_key=True),
    Column("started", Integer, nullable=False, default=0),
)

# Finished calls by length, from Twilio's call status callback (POST /voice/status).
call_durations = Table(
    "call_durations",
    metadata,
    Column("hour", DateTime(timezone=False), primary_key=True),
    Column("locale", String(LOCALE), primary_key=True),
    Column("bucket", String(BUCKET), primary_key=True),
    Column("calls", Integer, nullable=False, default=0),
)

# Answers that were never counted, because the database stayed unreachable longer than the buffer
# could hold: kept so that a gap in the counts is visible as a gap, not read as a quiet hour.
dropped_counts = Table(
    "dropped_counts",
    metadata,
    Column("hour", DateTime(timezone=False), primary_key=True),  # when they were dropped
    Column("answers", Integer, nullable=False, default=0),
)

# The "text me this" ledger: one row per call and topic texted. `claim` is
# HMAC-SHA256(SECRET_KEY, call_sid + ":" + topic) in hex, so no call id is stored; pruned after 24 h.
text_claims = Table(
    "text_claims",
    metadata,
    Column("claim", CHAR(64), primary_key=True),
    Column("hour", DateTime(timezone=False), nullable=False, index=True),
)

# Only with RECORD_UNMATCHED=1: texts the line did not understand, with every digit, email address and
# URL removed, cut to 160 characters, linked to no sender and to no time finer than the day; kept 30 days.
unmatched = Table(
    "unmatched",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("day", Date, nullable=False, index=True),
    Column("locale", String(LOCALE), nullable=False),
    Column("text", String(160), nullable=False),
    Column("reviewed", Boolean(create_constraint=True, name="reviewed_bool"), nullable=False, default=False),
)

# The dashboard's shared state, so every worker and machine sees the same: failed logins per minute
# (for the rate limit; no address or name is kept) ...
insights_login = Table(
    "insights_login",
    metadata,
    Column("minute", DateTime(timezone=False), primary_key=True),  # UTC, truncated to the minute
    Column("failures", Integer, nullable=False, default=0),
    CheckConstraint("failures >= 0", name="failures_positive"),
)

# ... failed logins per client per minute, for the per-address limit: `client` is HMAC-SHA256(SECRET_KEY,
# address) in hex, cut to 32 characters, so no address is kept; rows are deleted after a day ...
insights_login_clients = Table(
    "insights_login_clients",
    metadata,
    Column("minute", DateTime(timezone=False), primary_key=True),  # UTC, truncated to the minute
    Column("client", CHAR(32), primary_key=True),
    Column("failures", Integer, nullable=False, default=0),
    CheckConstraint("failures >= 0", name="failures_positive"),
)

# ... and its settings, such as the operator's password hash (set by `flask --app app insights set-password`).
insights_settings = Table(
    "insights_settings",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", String(512), nullable=False),
)

COUNT_TABLES = (usage_counts, conversations, call_durations, dropped_counts)  # pruned after USAGE_RETENTION_MONTHS
