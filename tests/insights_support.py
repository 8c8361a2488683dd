"""Helpers for the dashboard's tests: known counts seeded through the store, the password set by the CLI, login."""

from datetime import UTC, datetime, timedelta

from lxml import html
from sqlalchemy import func, select

from app.usage import schema
from app.usage.store import Batch

PASSWORD = "correct horse battery staple"
TODAY = datetime.now(UTC).date()
D0, D1 = TODAY - timedelta(days=2), TODAY - timedelta(days=1)
OLD = TODAY - timedelta(days=40)  # outside the default 30 days


def at(day, hour: int) -> datetime:
    """An hour of a day, as the tables key it."""
    return datetime(day.year, day.month, day.day, hour)


# (hour, channel, locale, served, outcome, answers, segments): what the line did, with known totals.
USAGE = [
    (at(D0, 10), "sms", "en-GB", "bring", "served", 7, 21),
    (at(D0, 11), "sms", "en-GB", "bring", "served", 3, 9),
    (at(D1, 9), "sms", "en-GB", "faq1", "served", 4, 8),
    (at(D1, 9), "sms", "en-GB", "not_understood", "not_understood", 2, 4),
    (at(D1, 12), "sms", "en-GB", "emergency", "emergency", 1, 1),
    (at(D1, 12), "sms", "en-GB", "-", "opt_out", 1, 0),
    (at(D1, 13), "whatsapp", "en-GB", "ask", "served", 5, 0),
    (at(D1, 13), "sms", "es-US", "ask", "served", 6, 12),
    (at(D1, 13), "sms", "en-GB", "cant_advise", "cant_advise", 2, 4),
    (at(D0, 10), "voice", "en-GB", "main", "served", 9, 0),
    (at(D0, 10), "voice", "en-GB", "main", "not_understood", 1, 0),
    (at(D0, 10), "voice", "en-GB", "bring", "served", 4, 0),
    (at(D0, 10), "voice", "en-GB", "bring", "text_sent", 2, 6),
    (at(D0, 10), "voice", "en-GB", "faq", "served", 3, 0),
    (at(D0, 10), "voice", "en-GB", "faq1", "text_failed", 1, 0),
    (at(OLD, 10), "sms", "en-GB", "bring", "served", 100, 300),
]
CONVERSATIONS = [
    (at(D0, 10), "voice", "en-GB", 5),
    (at(D0, 10), "sms", "en-GB", 6),
    (at(D1, 9), "sms", "en-GB", 4),
    (at(D1, 13), "whatsapp", "en-GB", 2),
    (at(D1, 13), "sms", "es-US", 3),
]
DURATIONS = [(at(D0, 10), "en-GB", "0-30s", 2), (at(D0, 10), "en-GB", "1-2min", 3)]
UNMATCHED = [
    (D1, "en-GB", "can i bring my dog"),
    (D0, "en-GB", "whats the parking like"),
    (D1, "es-US", "hola que tal"),
]


def seed(app) -> None:
    """Add the known counts through the store, as the recorder's flush does, and the kept texts."""
    batch = Batch()
    for hour, channel, locale, served, outcome, answers, segments in USAGE:
        batch.usage[hour, channel, locale, served, outcome] = [answers, segments]
    for hour, channel, locale, started in CONVERSATIONS:
        batch.conversations[hour, channel, locale] = started
    for hour, locale, bucket, calls in DURATIONS:
        batch.durations[hour, locale, bucket] = calls
    store = app.extensions["usage_store"]
    store.add(batch)
    with store.engine.begin() as connection:
        connection.execute(schema.unmatched.insert(), [
            {"day": day, "locale": locale, "text": text, "reviewed": False} for day, locale, text in UNMATCHED
        ])


def set_password(app, password: str = PASSWORD):
    """Set the dashboard's password as an operator does: the CLI command, typed twice."""
    return app.test_cli_runner().invoke(args=["insights", "set-password"], input=f"{password}\n{password}\n")


def page(response):
    """A response's HTML, parsed."""
    return html.fromstring(response.get_data(as_text=True))


def csrf(response) -> str:
    """The CSRF token in a page's first form."""
    return page(response).cssselect('input[name="csrf"]')[0].get("value")


def log_in(client, password: str = PASSWORD, **environ):
    """Open the login page and post the password with its token, as a browser does."""
    token = csrf(client.get("/insights/login", environ_base=environ))
    return client.post("/insights/login", data={"csrf": token, "password": password}, environ_base=environ)


def table(document, table_id: str) -> list[list[str]]:
    """A table's body as rows of cell texts (header cell first)."""
    return [[" ".join(cell.text_content().split()) for cell in row.xpath("th|td")]
            for row in document.cssselect(f"table#{table_id} tbody tr")]


def database_totals(engine, start, end, locale: str | None = None) -> dict:
    """Totals straight from the tables by SQL, independent of the dashboard's own queries."""
    counts, talks = schema.usage_counts, schema.conversations
    since, until = at(start, 0), at(end + timedelta(days=1), 0)

    def where(table):
        conditions = [table.c.hour >= since, table.c.hour < until]
        return conditions + ([table.c.locale == locale] if locale else [])

    with engine.connect() as connection:
        def total(column, *conditions):
            return int(connection.execute(select(func.coalesce(func.sum(column), 0)).where(*conditions)).scalar())

        return {
            "texts": total(counts.c.answers, *where(counts), counts.c.channel.in_(("sms", "whatsapp"))),
            "calls": total(talks.c.started, *where(talks), talks.c.channel == "voice"),
            "segments": total(counts.c.segments, *where(counts)),
            "not_understood": total(counts.c.answers, *where(counts), counts.c.outcome == "not_understood"),
        }
