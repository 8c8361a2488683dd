"""What the dashboard shows for a date range and locale, read from the usage tables in a few grouped queries."""

import csv
import io
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import Connection, Engine, Table, func, select, update

from app.usage import schema

TEXT_CHANNELS = ("sms", "whatsapp")
CSV_COLUMNS = ("day", "channel", "locale", "served", "outcome", "answers", "segments")
MOST_UNMATCHED = 200  # texts listed for review at once; the rest wait for the next page load


@dataclass(frozen=True)
class Query:
    """The days start..end (inclusive, UTC) and a locale, or "all"."""

    start: date
    end: date
    locale: str

    def bounds(self) -> tuple[datetime, datetime]:
        """The range as hours: from the start's midnight up to, not including, the midnight after the end."""
        return datetime.combine(self.start, datetime.min.time()), datetime.combine(self.end + timedelta(days=1),
                                                                                  datetime.min.time())

    def days(self) -> list[date]:
        """Every day in the range, in order."""
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]


@dataclass(frozen=True)
class Price:
    """The price of one SMS segment, from SMS_SEGMENT_PRICE ("0.04 GBP")."""

    amount: Decimal
    currency: str


@dataclass(frozen=True)
class Unmatched:
    """A kept text the line did not understand, waiting for review."""

    id: int
    day: date
    locale: str
    text: str


@dataclass(frozen=True)
class Report:
    """The counts for one range and locale, summed the ways the dashboard shows them."""

    query: Query
    rows: tuple[tuple, ...]  # (day, channel, locale, served, outcome, answers, segments), as in the CSV
    texts_per_day: tuple[int, ...]  # texts received each day of the range
    calls_per_day: tuple[int, ...]  # calls answered each day of the range
    started: Counter  # conversations started, by channel
    outcomes: Counter  # answers by (channel kind "text"/"voice", outcome)
    pieces: Counter  # pieces served, by (piece, channel kind)
    steps: Counter  # voice requests by step (served)
    lengths: dict[str, int]  # calls by length bucket, in bucket order
    segments: int
    dropped: int
    unmatched: tuple[Unmatched, ...]

    @property
    def texts(self) -> int:
        """Texts received in the range."""
        return sum(self.texts_per_day)

    @property
    def voice_steps(self) -> int:
        """Phone menu requests in the range."""
        return sum(self.steps.values())

    def outcome(self, name: str, kind: str | None = None) -> int:
        """Answers with this outcome, on texts ("text"), calls ("voice") or both."""
        return sum(n for (k, o), n in self.outcomes.items() if o == name and kind in (None, k))

    def cost(self, price: Price) -> Decimal:
        """The segments' estimated cost, rounded to the cent."""
        return (price.amount * self.segments).quantize(Decimal("0.01"))

    def is_empty(self) -> bool:
        """Tell whether nothing at all was counted in the range."""
        return not self.rows and not self.started and not any(self.lengths.values())


def kind(channel: str) -> str:
    """Texts (SMS and WhatsApp) or calls."""
    return "text" if channel in TEXT_CHANNELS else "voice"


def as_date(value) -> date:
    """A day from the database: SQLite's date() gives text, PostgreSQL's a date."""
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def within(table: Table, query: Query) -> list:
    """The WHERE conditions for a range and locale on a table keyed by hour."""
    since, until = query.bounds()
    conditions = [table.c.hour >= since, table.c.hour < until]
    if query.locale != "all" and "locale" in table.c:
        conditions.append(table.c.locale == query.locale)
    return conditions


def daily(connection: Connection, table: Table, keys: tuple[str, ...], sums: tuple[str, ...], query: Query) -> list:
    """Rows of (day, *keys, *sums) for the range, summed by day."""
    day = func.date(table.c.hour)
    statement = (
        select(day, *(table.c[k] for k in keys), *(func.sum(table.c[s]) for s in sums))
        .where(*within(table, query))
        .group_by(day, *(table.c[k] for k in keys))
        .order_by(day, *(table.c[k] for k in keys))
    )
    return [(as_date(r[0]), *r[1 : 1 + len(keys)], *(int(v or 0) for v in r[1 + len(keys) :]))
            for r in connection.execute(statement)]


def read(engine: Engine, query: Query) -> Report:
    """Everything the dashboard shows for the range, in one read-only transaction."""
    counts, talks = schema.usage_counts, schema.conversations
    with engine.connect() as connection:
        rows = daily(connection, counts, ("channel", "locale", "served", "outcome"), ("answers", "segments"), query)
        started_rows = daily(connection, talks, ("channel",), ("started",), query)
        lengths = dict(connection.execute(
            select(schema.call_durations.c.bucket, func.sum(schema.call_durations.c.calls))
            .where(*within(schema.call_durations, query)).group_by(schema.call_durations.c.bucket)
        ).all())
        dropped = connection.execute(
            select(func.sum(schema.dropped_counts.c.answers)).where(*within(schema.dropped_counts, query))
        ).scalar()
        unmatched = read_unmatched(connection, query)

    texts, calls = Counter(), Counter()
    outcomes, pieces, steps, started = Counter(), Counter(), Counter(), Counter()
    segments = 0
    for day, channel, _locale, served, outcome, answers, sent in rows:
        segments += sent
        outcomes[kind(channel), outcome] += answers
        if kind(channel) == "text":
            texts[day] += answers
        else:
            steps[served] += answers
        if outcome == "served":
            pieces[served, kind(channel)] += answers
    for day, channel, number in started_rows:
        started[channel] += number
        if channel == "voice":
            calls[day] += number
    days = query.days()
    return Report(
        query=query,
        rows=tuple(rows),
        texts_per_day=tuple(texts[d] for d in days),
        calls_per_day=tuple(calls[d] for d in days),
        started=started,
        outcomes=outcomes,
        pieces=pieces,
        steps=steps,
        lengths={label: int(lengths.get(label) or 0) for label, _ in schema.CALL_BUCKETS},
        segments=segments,
        dropped=int(dropped or 0),
        unmatched=unmatched,
    )


def read_unmatched(connection: Connection, query: Query) -> tuple[Unmatched, ...]:
    """The kept texts not yet reviewed, newest day first, in the range and locale."""
    table = schema.unmatched
    conditions = [table.c.day >= query.start, table.c.day <= query.end, table.c.reviewed.is_(False)]
    if query.locale != "all":
        conditions.append(table.c.locale == query.locale)
    statement = (select(table.c.id, table.c.day, table.c.locale, table.c.text).where(*conditions)
                 .order_by(table.c.day.desc(), table.c.id).limit(MOST_UNMATCHED))
    return tuple(Unmatched(r.id, as_date(r.day), r.locale, r.text) for r in connection.execute(statement))


def mark_reviewed(engine: Engine, text_id: int) -> bool:
    """Mark one kept text as reviewed; False if there is no such text."""
    with engine.begin() as connection:
        table = schema.unmatched
        return connection.execute(update(table).where(table.c.id == text_id).values(reviewed=True)).rowcount == 1


def locales(engine: Engine) -> list[str]:
    """Every locale that has counts, for the filter."""
    with engine.connect() as connection:
        found = set(connection.execute(select(schema.usage_counts.c.locale).distinct()).scalars())
        found |= set(connection.execute(select(schema.conversations.c.locale).distinct()).scalars())
    return sorted(found)


def to_csv(report: Report) -> str:
    """The range's counts by day, channel, locale, what was served and what happened, as CSV."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for day, *rest in report.rows:
        writer.writerow((day.isoformat(), *rest))
    return out.getvalue()


def by_piece(report: Report, names: list[str]) -> list[tuple[str, int, int]]:
    """(piece, by text, on calls) for every piece served, most asked for first, then in content order."""
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for (piece, channel_kind), number in report.pieces.items():
        if piece in names:
            totals[piece][0 if channel_kind == "text" else 1] += number
    ordered = sorted(totals.items(), key=lambda item: (-sum(item[1]), names.index(item[0])))
    return [(piece, texts, calls) for piece, (texts, calls) in ordered]
