"""The usage database: one engine per process, additive upserts on SQLite and PostgreSQL, and the queries."""

import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import Connection, Engine, Table, create_engine, delete, event, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.pool import StaticPool

from app.usage import schema

MEMORY_URL = "sqlite://"


def normalise_url(url: str) -> str:
    """The SQLAlchemy URL for a DATABASE_URL: platforms hand out postgres:// URLs, and we drive psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def describe(url: str) -> str:
    """The database's URL for messages and logs, without its password."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@dataclass
class Batch:
    """Counts waiting to be added to the database, keyed exactly as the tables' primary keys."""

    # (hour, channel, locale, served, outcome): [answers, segments]
    usage: dict[tuple, list[int]] = field(default_factory=dict)
    conversations: dict[tuple, int] = field(default_factory=dict)  # (hour, channel, locale): started
    durations: dict[tuple, int] = field(default_factory=dict)  # (hour, locale, bucket): calls
    dropped: dict[datetime, int] = field(default_factory=dict)  # hour: answers never counted
    unmatched: list[tuple[date, str, str]] = field(default_factory=list)  # (day, locale, scrubbed text)

    def rows(self) -> int:
        """How many table rows the batch touches: the buffer's bound is on this."""
        return len(self.usage) + len(self.conversations) + len(self.durations) + len(self.dropped) + len(self.unmatched)

    def copy(self) -> "Batch":
        """A snapshot that later additions do not change."""
        return Batch(
            {key: list(value) for key, value in self.usage.items()},
            dict(self.conversations),
            dict(self.durations),
            dict(self.dropped),
            list(self.unmatched),
        )

    def subtract(self, done: "Batch") -> None:
        """Take away counts that are now in the database, dropping rows that reach zero."""
        for key, (answers, segments) in done.usage.items():
            left = self.usage[key]
            left[0] -= answers
            left[1] -= segments
            if left == [0, 0]:
                del self.usage[key]
        for mine, theirs in ((self.conversations, done.conversations), (self.durations, done.durations),
                             (self.dropped, done.dropped)):
            for key, number in theirs.items():
                mine[key] -= number
                if not mine[key]:
                    del mine[key]
        del self.unmatched[: len(done.unmatched)]  # texts are only ever appended: the flushed ones come first


class Store:
    """The usage database behind one URL; safe to share between threads, and rebuilt in each forked worker."""

    def __init__(self, url: str, timeout: float = 2.0):
        self.url = normalise_url(url)
        self.timeout = timeout  # seconds any connect or statement may take: the database never holds a thread long
        self._engine: Engine | None = None
        self._pid = 0
        self._lock = threading.Lock()
        self._upserts: dict[tuple[str, str], object] = {}  # (dialect, table): its adding upsert

    @property
    def dialect(self) -> str:
        """"sqlite" or "postgresql"."""
        return self.url.split(":", 1)[0].split("+", 1)[0]

    @property
    def engine(self) -> Engine:
        """This process's engine: gunicorn forks workers after loading the app, and a pool must not cross a fork."""
        if self._pid != os.getpid():
            with self._lock:
                if self._pid != os.getpid():
                    if self._engine is not None:
                        self._engine.dispose(close=False)  # the parent's connections stay the parent's
                    self._engine = self._make_engine()
                    self._pid = os.getpid()
        return self._engine

    def _make_engine(self) -> Engine:
        """An engine whose every wait is bounded by the timeout."""
        if self.dialect == "sqlite":
            memory = self.url in (MEMORY_URL, "sqlite:///:memory:")
            engine = create_engine(
                self.url,
                connect_args={"timeout": self.timeout, "check_same_thread": False},
                **({"poolclass": StaticPool} if memory else {}),  # one shared in-memory database, not one per thread
            )

            @event.listens_for(engine, "connect")
            def tune(connection, _record):
                if not memory:  # readers (the dashboard) never block the flush, nor it them
                    connection.execute("PRAGMA journal_mode=WAL")
                connection.execute(f"PRAGMA busy_timeout={int(self.timeout * 1000)}")

            return engine
        milliseconds = int(self.timeout * 1000)
        return create_engine(
            self.url,
            pool_size=2,  # the flush thread, and a request's ledger claim
            max_overflow=2,
            pool_timeout=self.timeout,
            pool_pre_ping=True,  # a server restarted since the last flush: reconnect, do not fail the flush
            connect_args={
                "connect_timeout": max(2, round(self.timeout)),  # libpq's minimum is 2 s
                "options": f"-c statement_timeout={milliseconds} -c lock_timeout={milliseconds}",
            },
        )

    def close(self) -> None:
        """Close this process's connections (tests, and commands that are done)."""
        if self._engine is not None and self._pid == os.getpid():
            self._engine.dispose()
        self._engine, self._pid = None, 0

    def insert(self, connection: Connection, table: Table):
        """An INSERT that can say ON CONFLICT, in this database's dialect."""
        return (postgresql if connection.dialect.name == "postgresql" else sqlite).insert(table)

    def add(self, batch: Batch) -> None:
        """Add a batch to the counters in one transaction; raises if the database refused (nothing is added)."""
        with self.engine.begin() as connection:
            # Sorted keys: every worker locks rows in the same order, so concurrent flushes never deadlock.
            self._upsert(connection, schema.usage_counts, ("answers", "segments"), (
                dict(zip(("hour", "channel", "locale", "served", "outcome"), key, strict=True),
                     answers=answers, segments=segments)
                for key, (answers, segments) in sorted(batch.usage.items())
            ))
            self._upsert(connection, schema.conversations, ("started",), (
                dict(zip(("hour", "channel", "locale"), key, strict=True), started=number)
                for key, number in sorted(batch.conversations.items())
            ))
            self._upsert(connection, schema.call_durations, ("calls",), (
                dict(zip(("hour", "locale", "bucket"), key, strict=True), calls=number)
                for key, number in sorted(batch.durations.items())
            ))
            self._upsert(connection, schema.dropped_counts, ("answers",), (
                {"hour": hour, "answers": number} for hour, number in sorted(batch.dropped.items())
            ))
            if batch.unmatched:
                texts = [{"day": day, "locale": locale, "text": text, "reviewed": False}
                         for day, locale, text in batch.unmatched]
                connection.execute(schema.unmatched.insert(), texts)

    def _upsert(self, connection: Connection, table: Table, added: tuple[str, ...], rows: Iterable[dict]) -> None:
        """INSERT each row, or on a primary-key conflict ADD its counts to the row already there."""
        rows = list(rows)
        if not rows:
            return
        key = (connection.dialect.name, table.name)
        statement = self._upserts.get(key)
        if statement is None:  # built once: a flush holds the interpreter lock its worker answers with
            insert = self.insert(connection, table)
            statement = self._upserts[key] = insert.on_conflict_do_update(
                index_elements=list(table.primary_key.columns),
                set_={name: table.c[name] + insert.excluded[name] for name in added},
            )
        connection.execute(statement, rows)

    def claim(self, claim: str, hour: datetime, prune_before: datetime | None = None) -> bool:
        """Insert a text-me claim: True if it is new, False if the primary key already holds it."""
        try:
            with self.engine.begin() as connection:
                connection.execute(schema.text_claims.insert().values(claim=claim, hour=hour))
                if prune_before is not None:
                    connection.execute(delete(schema.text_claims).where(schema.text_claims.c.hour < prune_before))
        except IntegrityError:
            return False
        return True

    def prune(self, counts_before: datetime, claims_before: datetime, unmatched_before: date) -> dict[str, int]:
        """Delete counts, claims and unmatched texts older than the given times; return rows deleted per table."""
        deleted = {}
        with self.engine.begin() as connection:
            for table in schema.COUNT_TABLES:
                deleted[table.name] = connection.execute(delete(table).where(table.c.hour < counts_before)).rowcount
            claims = schema.text_claims
            deleted[claims.name] = connection.execute(delete(claims).where(claims.c.hour < claims_before)).rowcount
            for name in ("insights_login", "insights_login_clients"):  # the dashboard's rate limit needs a day at most
                logins = schema.metadata.tables[name]
                deleted[name] = connection.execute(delete(logins).where(logins.c.minute < claims_before)).rowcount
            texts = schema.unmatched
            deleted[texts.name] = connection.execute(delete(texts).where(texts.c.day < unmatched_before)).rowcount
        return deleted

    def summary(self, start: date, end: date, locale: str | None = None) -> dict:
        """Totals for the days start..end (inclusive, UTC): by channel, outcome, piece, and call length."""
        since, until = datetime(start.year, start.month, start.day), datetime(end.year, end.month, end.day)
        until += timedelta(days=1)
        counts, talks, calls = schema.usage_counts, schema.conversations, schema.call_durations

        def where(table: Table):
            conditions = [table.c.hour >= since, table.c.hour < until]
            if locale and "locale" in table.c:
                conditions.append(table.c.locale == locale)
            return conditions

        with self.engine.connect() as connection:
            def grouped(table: Table, by, *sums):
                query = select(by, *(func.sum(column) for column in sums)).where(*where(table)).group_by(by)
                return {row[0]: tuple(int(value or 0) for value in row[1:]) for row in connection.execute(query)}

            by_channel = grouped(counts, counts.c.channel, counts.c.answers, counts.c.segments)
            by_outcome = grouped(counts, counts.c.outcome, counts.c.answers)
            by_served = grouped(counts, counts.c.served, counts.c.answers)
            started = grouped(talks, talks.c.channel, talks.c.started)
            durations = grouped(calls, calls.c.bucket, calls.c.calls)
            dropped = connection.execute(
                select(func.sum(schema.dropped_counts.c.answers)).where(*where(schema.dropped_counts))
            ).scalar()
        return {
            "from": start.isoformat(),
            "to": end.isoformat(),
            "locale": locale or "all",
            "answers": {channel: answers for channel, (answers, _) in sorted(by_channel.items())},
            "segments": sum(segments for _, segments in by_channel.values()),
            "outcomes": {outcome: answers for outcome, (answers,) in sorted(by_outcome.items())},
            "served": dict(sorted(((name, answers) for name, (answers,) in by_served.items()), key=lambda i: -i[1])),
            "conversations": {channel: number for channel, (number,) in sorted(started.items())},
            "call_durations": {label: durations.get(label, (0,))[0] for label, _ in schema.CALL_BUCKETS},
            "not_counted": int(dropped or 0),
        }
