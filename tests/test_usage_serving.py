"""Usage counts under the Procfile's gunicorn: exact across workers, and a database outage changes no answer."""

import collections
import os
import signal
import subprocess
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

import pytest
from support import CALLER, LINE_NUMBER, Twilio
from test_serving import (
    PUBLIC,
    ROOT,
    TOKEN,
    WAIT,
    free_port,
    healthy,
    master_pid,
    procfile_command,
    production,
    refused_start,
    request,
    start,
    stop,
    wait_for,
)
from twilio.request_validator import RequestValidator
from usage_support import postgres_server, table_rows  # noqa: F401

from app.usage import migrate
from app.usage.store import Store

# Known kinds of request, each a signed POST as Twilio sends it: (path, form).
SMS = {"From": CALLER, "To": LINE_NUMBER, "NumMedia": "0", "MessageSid": "SM" + "0" * 32}
CALL = {"CallSid": "CA" + "0" * 32, "From": CALLER, "To": LINE_NUMBER, "CallStatus": "in-progress"}
KINDS = {
    "bring": ("/sms", {**SMS, "Body": "BRING"}),
    "faq": ("/sms", {**SMS, "Body": "faq 2"}),
    "gibberish": ("/sms", {**SMS, "Body": "zxqv blorp"}),
    "emergency": ("/sms", {**SMS, "Body": "chest pain"}),
    "stop": ("/sms", {**SMS, "Body": "STOP"}),
    "call": ("/voice", CALL),
    "key": ("/voice/menu/main", {**CALL, "Digits": "3"}),
}


def signed(port: int, path: str, form: dict):
    """POST a form to the served line, signed for the URL it is sent to: (status, body, seconds)."""
    signature = RequestValidator(TOKEN).compute_signature(f"{PUBLIC}{path}", form)  # the URL Twilio signs
    headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature}
    began = time.perf_counter()
    answer = request(port, "POST", path, urllib.parse.urlencode(form), headers)
    assert answer is not None, f"no answer to {path}"
    return answer[0], answer[2], time.perf_counter() - began


def expected_counts(make_app, plan: dict[str, int]) -> collections.Counter:
    """What each kind of request should add to usage_counts, from the line itself (a test app and its events)."""
    app = make_app(USAGE_COUNTS="off")
    events = []
    app.extensions.setdefault("event_sinks", []).append(events.append)
    twilio = Twilio(app.test_client(use_cookies=False))  # like the served line's requests: no cookie
    counts = collections.Counter()
    for kind, times in plan.items():
        path, form = KINDS[kind]
        before = len(events)
        assert twilio.post(path, form).status_code == 200
        assert len(events) == before + 1, f"{kind}: the line reported {len(events) - before} events, not one"
        event = events[-1]
        counts[(event.channel, event.served, event.outcome)] += times
    return counts


def served_counts(url: str) -> collections.Counter:
    """usage_counts as (channel, served, outcome): answers."""
    counts = collections.Counter()
    for row in table_rows(url)["usage_counts"]:
        counts[(row["channel"], row["served"], row["outcome"])] += row["answers"]
    return counts


def serve(tmp_path, url: str, workers: int, **settings: str):
    """The Procfile's gunicorn on a migrated database: (process, port)."""
    store = Store(url)
    migrate.upgrade(store)
    store.close()
    port = free_port()
    env = production(tmp_path, DATABASE_URL=url, WEB_CONCURRENCY=str(workers), **settings)
    process = start(procfile_command(port), env)
    wait_for(lambda: healthy(port), "/healthz to answer 200", process)
    return process, port


def graceful_stop(process) -> str:
    """SIGTERM to gunicorn's master, as a platform stops a release; its output once it has exited."""
    os.kill(master_pid(process), signal.SIGTERM)
    process.wait(timeout=3 * WAIT)
    return stop(process)


def send(port: int, plan: dict[str, int], threads: int = 8) -> list[tuple[str, int, bytes, float]]:
    """Send every request of the plan, shuffled across `threads` connections at once."""
    jobs = [kind for kind, times in plan.items() for _ in range(times)]
    jobs = jobs[::2] + jobs[1::2]
    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(lambda kind: (kind, *signed(port, *KINDS[kind])), jobs))


@pytest.fixture(params=["sqlite", "postgresql"])
def served_database(request, tmp_path):
    """A database the served line counts into: a SQLite file (several workers on one file) or PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'usage.sqlite3'}"
    return request.getfixturevalue("postgres_server").new_database()


def test_several_workers_count_exactly_what_was_sent(tmp_path, make_app, served_database):
    plan = {"bring": 40, "faq": 25, "gibberish": 20, "emergency": 10, "stop": 10, "call": 20, "key": 15}
    expected = expected_counts(make_app, plan)
    # A flush interval longer than the run: only the flush at graceful shutdown can save these counts.
    process, port = serve(tmp_path, served_database, workers=3, USAGE_FLUSH_SECONDS="60")
    try:
        answers = send(port, plan)
        output = graceful_stop(process)
    finally:
        stop(process)
    assert all(status == 200 for _, status, _, _ in answers)
    counts = served_counts(served_database)
    assert counts == expected, output
    assert sum(counts.values()) == sum(plan.values())
    rows = table_rows(served_database)
    started = {row["channel"]: row["started"] for row in rows["conversations"]}
    assert started == {"sms": sum(plan[kind] for kind in ("bring", "faq", "gibberish", "emergency", "stop")),
                       "voice": plan["call"]}
    assert rows["dropped_counts"] == []
    assert "lost at shutdown" not in output


def test_a_database_outage_changes_no_answer_and_loses_no_count(tmp_path, make_app, postgres_server):  # noqa: F811
    url = postgres_server.new_database()
    plan = {"bring": 12, "faq": 8, "gibberish": 6, "call": 8, "key": 6}
    expected = expected_counts(make_app, plan)
    process, port = serve(tmp_path, url, workers=2, USAGE_FLUSH_SECONDS="0.3", USAGE_DB_TIMEOUT="1")
    try:
        before = send(port, plan)
        normal = {kind: body for kind, _, body, _ in before}
        wait_for(lambda: sum(served_counts(url).values()) == sum(plan.values()), "the first counts to be flushed")
        postgres_server.stop()
        try:
            during = send(port, plan)
            time.sleep(2)  # several flushes fail meanwhile, and are retried
            during += send(port, plan)
        finally:
            postgres_server.start()
        after = send(port, plan)
        output = graceful_stop(process)
    finally:
        stop(process)
        if not os.path.exists(postgres_server.data / "postmaster.pid"):
            postgres_server.start()
    assert all(status == 200 and body == normal[kind] for kind, status, body, _ in during + after)
    slowest = max(seconds for *_, seconds in during)
    assert slowest < 1.0, f"an answer waited {slowest:.2f} s during the outage"
    assert "the database refused a flush" in output
    counts = served_counts(url)
    assert counts == collections.Counter({key: 4 * number for key, number in expected.items()}), output
    assert table_rows(url)["dropped_counts"] == []


def test_a_long_outage_drops_at_most_what_the_buffer_cannot_hold_and_counts_it(tmp_path, postgres_server):  # noqa: F811
    url = postgres_server.new_database()
    bound = 4
    texts = ["BRING", "ASK", "WHEN", "FAQ", "FACTS", "HELP", "MENU", "faq 1", "faq 3"]  # nine kinds of answer
    process, port = serve(tmp_path, url, workers=1, USAGE_FLUSH_SECONDS="0.3", USAGE_BUFFER_ROWS=str(bound))
    try:
        postgres_server.stop()
        try:
            answers = [signed(port, "/sms", {**SMS, "Body": text}) for text in texts for _ in range(3)]
        finally:
            postgres_server.start()
        output = graceful_stop(process)
    finally:
        stop(process)
    assert all(status == 200 for status, _, _ in answers)
    rows = table_rows(url)
    counted = sum(row["answers"] for row in rows["usage_counts"])
    dropped = sum(row["answers"] for row in rows["dropped_counts"])
    assert counted + dropped == len(answers)
    assert len(rows["usage_counts"]) + len(rows["conversations"]) <= bound  # what the buffer held, and no more
    assert dropped >= (len(texts) - bound) * 3
    assert "answers not counted" in output


def test_the_procfile_refuses_an_old_schema_in_one_line_until_the_release_step_ran(tmp_path):
    url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    exit_code, printed, output = refused_start(tmp_path, DATABASE_URL=url)
    assert exit_code != 0
    assert len(printed) == 1, output
    assert printed[0] == f"Error: the usage database {url} is older than the code: run `flask --app app db upgrade`"
    assert "Traceback" not in output
    release = next(line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("release:"))
    subprocess.run(["sh", "-c", release.removeprefix("release:")], cwd=ROOT, env=production(tmp_path, DATABASE_URL=url),
                   check=True, capture_output=True, timeout=WAIT)
    port = free_port()
    process = start(procfile_command(port), production(tmp_path, DATABASE_URL=url))
    try:
        wait_for(lambda: healthy(port), "the migrated release to answer", process)
    finally:
        stop(process)
