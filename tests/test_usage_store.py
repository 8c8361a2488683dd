"""The usage database on SQLite and on a real PostgreSQL server: additive upserts, queries, the ledger, pruning."""

import logging
import threading
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import create_engine
from sqlalchemy.exc import IntegrityError
from usage_support import Event, database_url, postgres_server, table_rows, total  # noqa: F401

from app.usage import migrate, schema
from app.usage.ledger import Ledger
from app.usage.recorder import Recorder
from app.usage.store import Batch, Store, normalise_url

HOUR = datetime(2026, 3, 4, 10)
SECRET = "usage-test-secret-key-0123456789abcdef"


@pytest.fixture
def store(database_url):  # noqa: F811
    """A migrated, empty database."""
    store = Store(database_url)
    migrate.upgrade(store)
    yield store
    store.close()


def batch(answers: int = 1, segments: int = 2, hour: datetime = HOUR, served: str = "bring") -> Batch:
    """A batch with one row in each count table."""
    return Batch(
        usage={(hour, "sms", "en-GB", served, "served"): [answers, segments]},
        conversations={(hour, "sms", "en-GB"): answers},
        durations={(hour, "en-GB", "1-2min"): answers},
        dropped={hour: answers},
    )


def test_upserts_add_to_the_counts_already_there(store):
    store.add(batch(1, 2))
    store.add(batch(3, 4))
    rows = table_rows(store.url)
    assert rows["usage_counts"] == [{
        "hour": HOUR, "channel": "sms", "locale": "en-GB", "served": "bring", "outcome": "served",
        "answers": 4, "segments": 6,
    }]
    assert rows["conversations"] == [{"hour": HOUR, "channel": "sms", "locale": "en-GB", "started": 4}]
    assert rows["call_durations"] == [{"hour": HOUR, "locale": "en-GB", "bucket": "1-2min", "calls": 4}]
    assert rows["dropped_counts"] == [{"hour": HOUR, "answers": 4}]


def test_concurrent_flushes_from_separate_engines_sum_exactly(store):
    # Several workers (each its own engine) flushing the same rows at once, in both key orders.
    kinds = ["bring", "ask", "when", "faq"]
    rounds, writers = 15, 6

    def writer(number: int) -> None:
        own = Store(store.url, timeout=10)
        order = kinds if number % 2 else list(reversed(kinds))
        for _ in range(rounds):
            own.add(Batch(usage={(HOUR, "sms", "en-GB", kind, "served"): [1, 1] for kind in order}))
        own.close()

    threads = [threading.Thread(target=writer, args=(number,)) for number in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    counts = {row["served"]: row["answers"] for row in table_rows(store.url)["usage_counts"]}
    assert counts == {kind: rounds * writers for kind in kinds}


def test_a_failed_flush_adds_nothing(store):
    store.add(batch(1))
    broken = batch(5)
    broken.usage[(HOUR, "voice", "en-GB", "main", "served")] = [None, 0]  # refused: answers is NOT NULL
    with pytest.raises(IntegrityError):
        store.add(broken)
    assert total(store.url, schema.usage_counts.c.answers) == 1
    assert total(store.url, schema.conversations.c.started) == 1  # the whole transaction rolled back


def test_summary_counts_a_date_range_and_a_locale(store):
    store.add(batch(2, 3))
    store.add(batch(5, 5, hour=HOUR + timedelta(days=1), served="faq"))
    store.add(Batch(usage={(HOUR, "voice", "cy-GB", "main", "not_understood"): [7, 0]}))
    day = HOUR.date()
    one_day = store.summary(day, day)
    assert one_day["answers"] == {"sms": 2, "voice": 7}
    assert one_day["outcomes"] == {"not_understood": 7, "served": 2}
    assert one_day["segments"] == 3
    assert one_day["conversations"] == {"sms": 2}
    assert one_day["call_durations"] == {"0-30s": 0, "30-60s": 0, "1-2min": 2, "2-5min": 0, "5min+": 0}
    assert one_day["not_counted"] == 2
    both = store.summary(day, day + timedelta(days=1), locale="en-GB")
    assert both["answers"] == {"sms": 7}
    assert both["served"] == {"faq": 5, "bring": 2}
    assert store.summary(day - timedelta(days=9), day - timedelta(days=1))["answers"] == {}


def test_prune_deletes_only_what_is_older(store):
    old, new = datetime(2024, 1, 1, 5), datetime(2026, 1, 1, 5)
    store.add(batch(1, hour=old))
    store.add(batch(2, hour=new))
    store.claim("a" * 64, old)
    store.claim("b" * 64, new)
    engine = create_engine(normalise_url(store.url))
    with engine.begin() as connection:
        connection.execute(schema.unmatched.insert(), [
            {"day": date(2024, 1, 1), "locale": "en-GB", "text": "old", "reviewed": False},
            {"day": date(2026, 1, 1), "locale": "en-GB", "text": "new", "reviewed": False},
        ])
    engine.dispose()
    deleted = store.prune(datetime(2025, 1, 1), datetime(2025, 1, 1), date(2025, 1, 1))
    assert deleted == {"usage_counts": 1, "conversations": 1, "call_durations": 1, "dropped_counts": 1,
                       "text_claims": 1, "insights_login": 0, "insights_login_clients": 0, "unmatched": 1}
    rows = table_rows(store.url)
    assert [row["hour"] for row in rows["usage_counts"]] == [new]
    assert [row["claim"] for row in rows["text_claims"]] == ["b" * 64]
    assert [row["text"] for row in rows["unmatched"]] == ["new"]


def test_the_ledger_claims_once_per_call_and_topic_and_stores_no_call_id(store):
    ledger = Ledger(store, SECRET)
    call = "CA" + "1234abcd" * 4
    assert ledger.claim(call, "bring") is True
    assert ledger.claim(call, "bring") is False
    other = Store(store.url)
    assert Ledger(other, SECRET).claim(call, "bring") is False  # another worker or machine
    other.close()
    assert ledger.claim(call, "ask") is True
    assert ledger.claim("CA" + "9" * 32, "bring") is True
    claims = table_rows(store.url)["text_claims"]
    assert len(claims) == 3
    assert all(len(row["claim"]) == 64 and int(row["claim"], 16) >= 0 for row in claims)
    assert all(call not in row["claim"] and "1234abcd" not in row["claim"] for row in claims)
    assert all(row["hour"].minute == row["hour"].second == 0 for row in claims)


def test_the_ledger_fails_closed_when_the_database_is_down(tmp_path):
    # A database that cannot be reached: nothing listens on this port (or the folder does not exist).
    for url in ("postgresql://postgres@127.0.0.1:9/none", f"sqlite:///{tmp_path / 'missing' / 'x.sqlite3'}"):
        down = Store(url, timeout=1)
        assert Ledger(down, SECRET).claim("CA" + "0" * 32, "bring") is False
        down.close()


def test_the_ledger_prunes_claims_older_than_a_day(store):
    store.claim("c" * 64, datetime(2020, 1, 1))
    Ledger(store, SECRET).claim("CA" + "2" * 32, "bring")
    assert "c" * 64 not in [row["claim"] for row in table_rows(store.url)["text_claims"]]


def test_the_recorder_counts_events_and_never_the_try_it_panels(store):
    recorder = Recorder(store, interval=60)
    events = [
        Event("sms", "en-GB", "bring", "served", segments=3, started=True),
        Event("sms", "en-GB", "bring", "served", segments=3),
        Event("voice", "en-GB", "main", "wrong_key", started=True),
        Event("whatsapp", "es-US", "faq", "served"),
        Event("try-text", "en-GB", "bring", "served", segments=3, started=True),
        Event("try-call", "en-GB", "main", "served", started=True),
    ]
    for event in events:
        recorder(event)
    recorder.record_call("en-GB", 75)
    assert recorder.flush() is True
    assert recorder.waiting() == 0
    rows = table_rows(store.url)
    counts = {(r["channel"], r["locale"], r["served"], r["outcome"]): (r["answers"], r["segments"])
              for r in rows["usage_counts"]}
    assert counts == {
        ("sms", "en-GB", "bring", "served"): (2, 6),
        ("voice", "en-GB", "main", "wrong_key"): (1, 0),
        ("whatsapp", "es-US", "faq", "served"): (1, 0),
    }
    assert {(r["channel"], r["started"]) for r in rows["conversations"]} == {("sms", 1), ("voice", 1)}
    assert [(r["bucket"], r["calls"]) for r in rows["call_durations"]] == [("1-2min", 1)]
    assert {r["hour"].minute for r in rows["usage_counts"]} == {0}  # nothing finer than the hour
    recorder.close()


def test_the_recorder_keeps_only_the_lines_vocabulary(store):
    recorder = Recorder(store, interval=60)
    recorder(Event("sms", "en GB <b>", "call me on 07700 900456", "served"))
    recorder.flush()
    (row,) = table_rows(store.url)["usage_counts"]
    assert (row["locale"], row["served"]) == ("-", "-")
    recorder.close()


@pytest.mark.parametrize("seconds", [0, 29, 30, 59, 60, 119, 120, 299, 300, 7200])
def test_call_lengths_fall_in_their_buckets(seconds):
    from app.usage.recorder import bucket

    expected = next(label for label, limit in schema.CALL_BUCKETS if limit is None or seconds < limit)
    assert bucket(seconds) == expected
    assert bucket(seconds) == {0: "0-30s", 29: "0-30s", 30: "30-60s", 59: "30-60s", 60: "1-2min", 119: "1-2min",
                               120: "2-5min", 299: "2-5min", 300: "5min+", 7200: "5min+"}[seconds]


def test_a_full_buffer_drops_new_kinds_counts_them_and_keeps_counting_known_ones(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="line")
    down = Store(f"sqlite:///{tmp_path / 'missing' / 'x.sqlite3'}", timeout=0.2)  # cannot be opened
    recorder = Recorder(down, interval=60, max_rows=3)
    for served in ("when", "ask", "bring", "faq", "facts"):  # five kinds, room for three
        recorder(Event("sms", "en-GB", served, "served"))
    recorder(Event("sms", "en-GB", "when", "served"))  # a kind already waiting still counts
    assert recorder.waiting() == 3
    assert recorder.dropped == 2
    assert recorder.flush() is False
    assert "2 answers not counted" in caplog.text
    assert "the database refused a flush (OperationalError)" in caplog.text
    # The database comes back: everything kept arrives, with the number dropped.
    (tmp_path / "missing").mkdir()
    migrate.upgrade(down)
    assert recorder.flush() is True
    rows = table_rows(down.url)
    assert {r["served"]: r["answers"] for r in rows["usage_counts"]} == {"when": 2, "ask": 1, "bring": 1}
    assert sum(r["answers"] for r in rows["dropped_counts"]) == 2
    assert "the database is back" in caplog.text
    recorder.close()


def test_counts_added_while_a_flush_is_in_flight_are_kept(store):
    recorder = Recorder(store, interval=60)
    recorder(Event("sms", "en-GB", "bring", "served"))
    original = store.add

    def slow_add(batch):
        recorder(Event("sms", "en-GB", "bring", "served"))  # arrives mid-flush
        original(batch)

    store.add = slow_add
    assert recorder.flush() is True
    store.add = original
    assert recorder.waiting() == 1
    recorder.flush()
    assert total(store.url, schema.usage_counts.c.answers) == 2
    recorder.close()


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("call me on 07700 900456 or margaret@example.com", "call me on or"),
        ("see https://evil.example/x?y=1 and www.foo.org now", "see and now"),
        ("my site nhs.uk/abc is down", "my site is down"),
        ("a Ⅻ ٣ 4 b", "a Ⅻ b"),  # every decimal digit, in any script
        ("what is a second opinion " * 20, ("what is a second opinion " * 20)[:160].strip()),
        ("0123 456", ""),
    ],
)
def test_an_unmatched_text_is_kept_without_digits_addresses_or_links(text, kept):
    from app.usage.unmatched import scrub

    assert scrub(text) == kept
    assert len(scrub(text)) <= 160


def test_unmatched_texts_are_flushed_with_the_day_only(store):
    recorder = Recorder(store, interval=60)
    recorder.record_unmatched("en-GB", "my gp is rude 0161 496 0000")
    recorder.record_unmatched("en-GB", "07700 900456")  # nothing left to keep
    assert recorder.flush()
    (row,) = table_rows(store.url)["unmatched"]
    assert (row["locale"], row["text"], row["reviewed"]) == ("en-GB", "my gp is rude", False)
    assert isinstance(row["day"], date) and not isinstance(row["day"], datetime)
    assert recorder.waiting() == 0
    recorder.close()
