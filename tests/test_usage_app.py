"""The usage layer in the app: migrations, the refusal of an old schema, settings, /voice/status and the CLI."""

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from support import Served, Twilio
from usage_support import database_url, postgres_server, table_rows  # noqa: F401

from app.errors import StartupError
from app.usage import default_url, migrate, prepare, schema
from app.usage.store import Batch, Store

ROOT = Path(__file__).resolve().parents[1]


def test_upgrade_from_empty_builds_exactly_the_codes_schema(database_url):  # noqa: F811
    store = Store(database_url)
    assert migrate.behind(store)
    migrate.upgrade(store)
    assert not migrate.behind(store)
    with store.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), schema.metadata)
    store.close()
    assert differences == []


def test_the_app_refuses_a_database_older_than_the_code(make_app, database_url):  # noqa: F811
    with pytest.raises(StartupError) as refused:
        make_app(DATABASE_URL=database_url)
    message = str(refused.value)
    assert "older than the code" in message and "run `flask --app app db upgrade`" in message
    assert "\n" not in message
    store = Store(database_url)
    migrate.upgrade(store)
    store.close()
    started = make_app(DATABASE_URL=database_url).extensions["usage_store"]
    assert started.url.endswith(database_url.split("/")[-1])
    started.close()


def test_the_app_refuses_a_database_at_an_older_revision(make_app, tmp_path, monkeypatch):
    # A database stamped at a revision before the code's newest one.
    from alembic import command

    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    store = Store(url)
    migrate.upgrade(store)
    extra = tmp_path / "versions"
    extra.mkdir()
    (extra / "0002_next.py").write_text(
        'revision = "0002"\ndown_revision = "0001"\n\ndef upgrade():\n    pass\n\ndef downgrade():\n    pass\n'
    )
    config = migrate.alembic_config()
    config.set_main_option("version_locations", f"{migrate.MIGRATIONS / 'versions'}{os.pathsep}{extra}")
    monkeypatch.setattr(migrate, "alembic_config", lambda: config)  # the code, one release later
    assert migrate.behind(store)
    with pytest.raises(StartupError, match="older than the code"):
        make_app(DATABASE_URL=url)
    with store.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "heads")
    assert not migrate.behind(store)
    store.close()


def test_the_embedded_database_is_created_and_upgraded_by_the_app_itself(tmp_path, make_app):
    url = f"sqlite:///{tmp_path / 'usage.sqlite3'}"
    store = Store(url)
    prepare(store, embedded=True)
    assert not migrate.behind(store)
    prepare(store, embedded=True)  # again: nothing to do, no error
    store.close()
    app = make_app(TESTING=False)
    assert default_url(app) == f"sqlite:///{Path(app.instance_path) / 'usage.sqlite3'}"


def test_a_database_down_at_start_up_does_not_stop_the_line(make_app, twilio, caplog):
    app = make_app(DATABASE_URL="postgresql://postgres@127.0.0.1:9/none", USAGE_DB_TIMEOUT=1)
    assert "the database could not be checked at start-up (OperationalError)" in caplog.text
    reply = Twilio(app.test_client()).message("BRING")
    assert reply == Served.of(app).replies["bring"][0]


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("USAGE_FLUSH_SECONDS", "soon", "setting USAGE_FLUSH_SECONDS: 'soon' is not a number"),
        ("USAGE_BUFFER_ROWS", "0", "setting USAGE_BUFFER_ROWS: '0' must be above 0"),
        ("USAGE_RETENTION_MONTHS", "1.5", "setting USAGE_RETENTION_MONTHS: '1.5' is not a whole number"),
        ("USAGE_COUNTS", "yes", "setting USAGE_COUNTS: 'yes' must be on or off"),
    ],
)
def test_bad_usage_settings_stop_the_start_with_one_line(make_app, monkeypatch, name, value, message):
    monkeypatch.setenv(name, value)
    with pytest.raises(StartupError) as refused:
        make_app()
    assert str(refused.value) == message


def test_recording_off_registers_no_sink_but_keeps_the_ledger(make_app):
    app = make_app(USAGE_COUNTS="off")
    assert "usage_recorder" not in app.extensions
    assert all(type(sink).__name__ != "Recorder" for sink in app.extensions.get("event_sinks", []))
    assert app.extensions["text_ledger"].claim("CA" + "5" * 32, "bring") is True


def status(twilio: Twilio, call: int = 7, **params):
    """Post Twilio's call status callback for call number `call`."""
    form = {"CallSid": f"CA{call:032d}", "From": "+447700900456", "To": "+447700900123", **params}
    return twilio.post("/voice/status", form)


def call_lengths(app) -> dict[str, int]:
    """The call-length counts in the database, by bucket, after a flush."""
    assert app.extensions["usage_recorder"].flush()
    with app.extensions["usage_store"].engine.connect() as connection:
        return {row.bucket: row.calls for row in connection.execute(schema.call_durations.select())}


def test_the_status_callback_counts_finished_calls_by_length(app, twilio):
    for call, seconds in enumerate(("12", "45", "61", "200", "301", "4000")):
        response = status(twilio, call, CallStatus="completed", CallDuration=seconds)
        assert response.status_code == 200
        assert response.mimetype == "text/xml"
    for params in ({"CallStatus": "busy", "CallDuration": "0"}, {"CallStatus": "no-answer"},
                   {"CallStatus": "completed", "CallDuration": "-3"}, {"CallStatus": "completed", "CallDuration": "٣"},
                   {"CallStatus": "completed", "CallDuration": "9" * 40}, {"CallStatus": "completed"}):
        assert status(twilio, **params).status_code == 200  # answered, not counted
    recorder = app.extensions["usage_recorder"]
    assert recorder.flush()
    with app.extensions["usage_store"].engine.connect() as connection:
        rows = {row.bucket: row.calls for row in connection.execute(schema.call_durations.select())}
        locales = {row.locale for row in connection.execute(schema.call_durations.select())}
    assert rows == {"0-30s": 1, "30-60s": 1, "1-2min": 1, "2-5min": 1, "5min+": 2}
    assert locales == {"en-GB"}


def test_a_status_callback_twilio_retries_is_counted_once(app, twilio):
    for _ in range(3):  # Twilio retries a callback it got no answer to, with the same CallSid
        assert status(twilio, 1, CallStatus="completed", CallDuration="40").status_code == 200
    status(twilio, 2, CallStatus="completed", CallDuration="50")
    assert call_lengths(app) == {"30-60s": 2}
    assert status(twilio, 1, CallStatus="completed", CallDuration="40").status_code == 200  # after the flush too
    assert call_lengths(app) == {"30-60s": 2}


def test_a_status_callback_is_still_counted_while_the_database_is_down(make_app, caplog):
    app = make_app(DATABASE_URL="postgresql://postgres@127.0.0.1:9/none", USAGE_DB_TIMEOUT=1)
    twilio = Twilio(app.test_client())
    assert status(twilio, 3, CallStatus="completed", CallDuration="40").status_code == 200
    assert "call ledger: the database refused a claim (OperationalError): counted without it" in caplog.text
    assert app.extensions["usage_recorder"].pending.durations  # waiting in memory for the database


def test_the_status_callback_refuses_an_unsigned_request(app, client):
    response = client.post("/voice/status", data={"CallStatus": "completed", "CallDuration": "30"})
    assert response.status_code == 403
    app.extensions["usage_recorder"].flush()
    with app.extensions["usage_store"].engine.connect() as connection:
        assert list(connection.execute(schema.call_durations.select())) == []


def test_insights_prints_a_summary_for_a_date_range(app):
    store = app.extensions["usage_store"]
    today = datetime.now(UTC).replace(tzinfo=None, minute=0, second=0, microsecond=0)
    store.add(Batch(
        usage={(today, "sms", "en-GB", "bring", "served"): [6, 12],
               (today, "sms", "en-GB", "-", "not_understood"): [2, 4],
               (today, "voice", "en-GB", "main", "served"): [2, 0]},
        conversations={(today, "sms", "en-GB"): 4},
        durations={(today, "en-GB", "30-60s"): 3},
    ))
    result = app.test_cli_runner().invoke(args=["insights", "--from", today.date().isoformat()])
    assert result.exit_code == 0, result.output
    assert "answers: 10 (sms 8, voice 2)" in result.output
    assert "not understood: 20.0% of all answers, texts and phone steps together" in result.output
    assert "answers by what was served (any outcome, each phone step): bring 6, - 2, main 2" in result.output
    assert "SMS segments sent: 16" in result.output
    assert "call lengths: 30-60s 3" in result.output
    earlier = (today - timedelta(days=40)).date().isoformat()
    result = app.test_cli_runner().invoke(args=["insights", "--from", earlier, "--to", earlier, "--json"])
    assert '"answers": {}' in result.output
    result = app.test_cli_runner().invoke(args=["insights", "--from", "2026-02-02", "--to", "2026-01-01"])
    assert result.exit_code != 0 and "is after --to" in result.output


def test_insights_prune_keeps_the_retention(app):
    store = app.extensions["usage_store"]
    now = datetime.now(UTC).replace(tzinfo=None, minute=0, second=0, microsecond=0)
    old = now - timedelta(days=800)
    store.add(Batch(usage={(old, "sms", "en-GB", "bring", "served"): [1, 1],
                           (now, "sms", "en-GB", "bring", "served"): [1, 1]}))
    store.claim("d" * 64, now - timedelta(hours=30))
    result = app.test_cli_runner().invoke(args=["insights", "prune"])
    assert result.exit_code == 0, result.output
    assert "kept 24 months; deleted usage_counts 1," in result.output and "text_claims 1" in result.output
    with store.engine.connect() as connection:
        assert [row.hour for row in connection.execute(schema.usage_counts.select())] == [now]
    result = app.test_cli_runner().invoke(args=["insights", "prune", "--months", "0"])
    assert result.exit_code != 0


def test_db_upgrade_runs_without_the_app_and_then_the_app_starts(tmp_path):
    url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    env = {"PATH": str(Path(sys.executable).parent), "DATABASE_URL": url, "HOME": str(tmp_path)}
    flask = str(Path(sys.executable).parent / "flask")

    def run(*args):
        return subprocess.run([flask, "--app", "app", *args], cwd=ROOT, env=env, capture_output=True, text=True)

    refused = run("insights")
    assert refused.returncode != 0
    assert "Error: the usage database sqlite:///" in refused.stderr
    assert "run `flask --app app db upgrade`" in refused.stderr
    assert "Traceback" not in refused.stderr
    behind = run("db", "current")
    assert behind.returncode == 1 and "is at revision empty" in behind.stdout
    upgraded = run("db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert upgraded.stdout.strip().endswith("is at revision 0001")
    assert run("insights").returncode == 0
    assert table_rows(url)["usage_counts"] == []


def test_the_try_it_panels_are_never_counted_and_the_line_is(app, client, twilio):
    for message in ("BRING", "FAQ", "chest pain", "zxqv"):
        assert client.post("/try/text", data={"message": message}).status_code == 200
    for step in ("/voice", "/voice/menu/main"):
        assert client.post("/try/call", data={"step": step, "Digits": "3"}).status_code == 200
    recorder = app.extensions["usage_recorder"]
    assert recorder.flush()
    summary = app.extensions["usage_store"].summary(datetime.now(UTC).date(), datetime.now(UTC).date())
    assert summary["answers"] == {}
    twilio.message("BRING")  # the same words through the real webhook: counted
    assert recorder.flush()
    summary = app.extensions["usage_store"].summary(datetime.now(UTC).date(), datetime.now(UTC).date())
    assert summary["answers"] == {"sms": 1} and summary["served"] == {"bring": 1}


def test_a_locked_database_delays_no_answer_and_its_counts_arrive_after(make_app, database_url):  # noqa: F811
    import sqlite3
    import time

    import psycopg

    store = Store(database_url)
    migrate.upgrade(store)
    store.close()
    app = make_app(DATABASE_URL=database_url, USAGE_DB_TIMEOUT=1, USAGE_FLUSH_SECONDS=0.2)
    twilio = Twilio(app.test_client())
    if database_url.startswith("sqlite"):  # another process writing: the whole file is locked
        holder = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
    else:  # a long migration or a stuck session: the table is locked
        holder = psycopg.connect(database_url)
        holder.execute("LOCK TABLE usage_counts, text_claims IN ACCESS EXCLUSIVE MODE")
    try:
        slowest = 0.0
        for _ in range(15):
            began = time.perf_counter()
            assert twilio.message("BRING") == Served.of(app).replies["bring"][0]
            slowest = max(slowest, time.perf_counter() - began)
        time.sleep(0.5)  # the flush thread meets the lock meanwhile
        assert app.extensions["usage_recorder"].flush() is False
        assert app.extensions["text_ledger"].claim("CA" + "3" * 32, "bring") is False  # fail closed, within the timeout
    finally:
        holder.close()  # its transaction rolls back: the lock is gone
    assert slowest < 0.5, f"an answer took {slowest:.2f} s while the database was locked"
    recorder = app.extensions["usage_recorder"]
    assert recorder.flush() is True
    recorder.close()
    app.extensions["usage_store"].close()
    assert sum(row["answers"] for row in table_rows(database_url)["usage_counts"]) == 15


def test_a_piece_heard_on_a_call_is_counted_once_however_long_the_caller_stays(app):
    from support import Call

    from app.usage.insights_report import Query, read

    twilio = Twilio(app.test_client())
    for number in range(2):
        call = Call(twilio)
        call.params["CallSid"] = f"CA{number:032d}"
        call.start()
        call.say("what should I bring")  # the piece itself
        call.wait()  # its end: the disclaimer, then the choices after it
        call.wait()  # silence at those choices
    assert app.extensions["usage_recorder"].flush()
    today = datetime.now(UTC).date()
    report = read(app.extensions["usage_store"].engine, Query(today, today, "all"))
    assert report.pieces[("bring", "voice")] == 2  # not once more for each step after it
    assert report.steps["bring"] == 2 and report.steps["after_piece"] == 4
