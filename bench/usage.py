"""Benchmark usage counting: the line with recording on (SQLite, PostgreSQL) against recording off, same run.

Usage: python bench/usage.py [--seconds 15] [--connections 32] [--postgres-url URL]
Each server is the Procfile's gunicorn command with the same settings; only USAGE_COUNTS and
DATABASE_URL differ. PostgreSQL is a throwaway cluster (Debian's postgresql package) unless a URL is
given. Also measures a flush's cost and the database's size per million answers. Writes a Markdown
report to stdout and bench/results/usage.md; exits 1 if a target is missed, 2 if it could not run.
"""

import argparse
import dataclasses
import datetime
import logging
import os
import random
import secrets
import shutil
import statistics
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # the throwaway PostgreSQL cluster the tests use

from bench.run import (  # noqa: E402 - after the path is set, as bench/run.py does
    LINE_NUMBER,
    PUBLIC,
    REQUESTS,
    BenchError,
    Server,
    check_refuses_unsigned,
    describe_run,
    expected_bodies,
    free_port,
    measure,
    process_tree,
    procfile_command,
    run,
)

RESULTS = ROOT / "bench" / "results" / "usage.md"
MIN_RATIO = 0.95  # throughput with recording on, over recording off
MAX_P99_RISE = 0.10  # p99 with recording on may be at most 10% above recording off
P99_SLACK_MS = 0.1  # below this, a p99 difference is scheduling jitter on loopback, not the recorder
ANSWERS = 1_000_000  # for the size figure


def start_postgres(given: str):
    """A PostgreSQL URL and the cluster to stop afterwards (None when the URL was given or none is installed)."""
    if given:
        return given, None
    from usage_support import PostgresServer, postgres_bin

    binaries = postgres_bin()
    if binaries is None:
        print("PostgreSQL is not installed (apt-get install postgresql): measuring SQLite only.", file=sys.stderr)
        return "", None
    server = PostgresServer(binaries)
    return server.new_database(), server


def migrated(url: str) -> str:
    """Migrate a database, and return its URL."""
    from app.usage import migrate
    from app.usage.store import Store

    store = Store(url)
    migrate.upgrade(store)
    store.close()
    return url


def typical_batch(hour: datetime.datetime, rows: int, rng: random.Random):
    """One flush's worth of counts: `rows` distinct kinds of answer in one hour."""
    from app.usage.store import Batch

    channels, locales = ("sms", "whatsapp", "voice"), ("en-GB", "cy-GB", "en-US", "es-US")
    served = ("when", "ask", "bring", "faq", "faq1", "faq2", "faq3", "facts", "menu", "help", "thanks", "main")
    outcomes = ("served", "not_understood", "emergency", "cant_advise", "opt_out", "wrong_key", "silence")
    kinds = [(c, lo, s, o) for c in channels for lo in locales for s in served for o in outcomes]
    batch = Batch()
    for kind in rng.sample(kinds, rows):
        batch.usage[(hour, *kind)] = [rng.randint(1, 20), rng.randint(0, 40)]
    for channel in channels:
        for locale in locales:
            batch.conversations[(hour, channel, locale)] = rng.randint(1, 10)
    return batch


def flush_cost(url: str, rows: int, repeats: int = 30) -> float:
    """Median milliseconds to flush a batch of `rows` kinds of answer (upserts onto rows already there)."""
    from app.usage.store import Store

    store, rng = Store(url), random.Random(rows)
    hour = datetime.datetime(2026, 1, 1)
    times = []
    for _ in range(repeats):
        batch = typical_batch(hour, rows, rng)
        began = time.perf_counter()
        store.add(batch)
        times.append((time.perf_counter() - began) * 1000)
    store.close()
    return statistics.median(times)


def size_per_million(url: str, kinds_per_hour: int) -> tuple[float, int]:
    """Megabytes the tables take for a million answers over a year (at this many kinds of answer an hour)."""
    from sqlalchemy import text

    from app.usage import schema
    from app.usage.store import Batch, Store

    store, rng = Store(url, timeout=30), random.Random(kinds_per_hour)
    start, hours = datetime.datetime(2025, 1, 1), 24 * 365
    per_hour = ANSWERS // hours
    for day in range(365):  # a day of hourly rows per transaction: the rows are the same, the run shorter
        batch = Batch()
        for hour_of_day in range(24):
            hour = start + datetime.timedelta(hours=day * 24 + hour_of_day)
            hourly = typical_batch(hour, kinds_per_hour, rng)
            total = sum(a for a, _ in hourly.usage.values())
            for key, (answers, segments) in hourly.usage.items():  # scaled so the year holds a million answers
                batch.usage[key] = [max(1, answers * per_hour // max(total, 1)), segments]
            batch.conversations.update(hourly.conversations)
        store.add(batch)
    with store.engine.connect() as connection:
        if store.dialect == "sqlite":
            connection.exec_driver_sql("VACUUM")
            pages = connection.exec_driver_sql("PRAGMA page_count").scalar()
            size = pages * connection.exec_driver_sql("PRAGMA page_size").scalar()
        else:
            # Each key is inserted once here, so there are no dead row versions to vacuum away first.
            size = sum(
                connection.execute(text("SELECT pg_total_relation_size(:t)"), {"t": table.name}).scalar()
                for table in schema.metadata.sorted_tables
            )
        answers = connection.execute(text("SELECT SUM(answers) FROM usage_counts")).scalar()
    store.close()
    return size / 1e6 * ANSWERS / answers, answers


def parse_args() -> argparse.Namespace:
    """Command-line options (the same load options as bench/run.py)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=15, help="seconds of load per run (default 15)")
    parser.add_argument("--connections", type=int, default=32, help="concurrent connections (default 32)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads: 1 leaves the CPUs to the server")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of unmeasured load before each run")
    parser.add_argument("--retries", type=int, default=2, help="runs again when other work shared the CPUs")
    parser.add_argument("--quiet-wait", type=int, default=60, help="seconds to wait for quiet CPUs before a run")
    parser.add_argument("--requests", default=",".join(REQUESTS), help="which request types, comma-separated")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of off/sqlite/postgresql in turn (median kept)")
    parser.add_argument("--steady-connections", type=int, default=4, help="connections of the steady load (default 4)")
    parser.add_argument("--pause-ms", type=int, default=4,
                        help="ms each steady connection waits between answers (default 4: about a third of capacity)")
    parser.add_argument("--postgres-url", default="", help="a PostgreSQL database to use instead of a throwaway one")
    parser.add_argument("--skip-size", action="store_true", help="skip the database-size figure (a minute or two)")
    return parser.parse_args()


def main() -> int:
    """Start the servers, drive each with wrk in turn, then measure flushes and size; report."""
    args = parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed: run `apt-get install wrk` (Debian/Ubuntu) and try again.", file=sys.stderr)
        return 2
    requests = {name: REQUESTS[name] for name in args.requests.split(",")}
    if not 1 <= args.rounds <= 9:
        raise BenchError("--rounds must be 1 to 9")
    command = procfile_command()
    token, secret = secrets.token_hex(16), secrets.token_hex(32)
    bin_dir = str(Path(sys.executable).parent)
    postgres_url, cluster = start_postgres(args.postgres_url)
    busy_before = os.getloadavg()[0]
    results, lines = [], []
    try:
        with tempfile.TemporaryDirectory(prefix="usage-bench-") as tmp:
            workdir = Path(tmp)
            databases = {"off": "", "sqlite": migrated(f"sqlite:///{workdir / 'usage.sqlite3'}")}
            if postgres_url:
                databases["postgresql"] = migrated(postgres_url)
            servers = {}
            for name, url in databases.items():
                (workdir / name).mkdir()
                env = {
                    **os.environ,
                    "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""),
                    "TWILIO_AUTH_TOKEN": token,
                    "SECRET_KEY": secret,
                    "LINE_PHONE_NUMBER": LINE_NUMBER,
                    "PUBLIC_BASE_URL": PUBLIC,  # production requires it, and signatures are checked against it
                    "XDG_RUNTIME_DIR": str(workdir / name),
                    "USAGE_COUNTS": "off" if name == "off" else "on",
                    # "off" still opens a database (the text-me ledger): its own file, never counted into.
                    "DATABASE_URL": url or migrated(f"sqlite:///{workdir / 'off.sqlite3'}"),
                }
                servers[name] = Server(name, command, free_port(), env, workdir / f"{name}.log")

            def ours() -> set[int]:
                roots = [server.process.pid for server in servers.values()]
                if cluster is not None:  # the PostgreSQL server works for the servers under test too
                    roots.append(int((cluster.data / "postmaster.pid").read_text().split()[0]))
                return {os.getpid()} | process_tree(roots)

            try:
                for server in servers.values():
                    server.start()
                for server in servers.values():
                    server.wait_ready()
                os.environ["USAGE_COUNTS"] = "off"  # the in-process reference app counts nothing anywhere
                expected = expected_bodies(token, secret, servers["off"].port, requests)
                for server in servers.values():
                    check_refuses_unsigned(server, "/sms", urllib.parse.urlencode(REQUESTS["sms FAQ"][1]))
                runs, steady = {}, {}
                order = list(servers.values())
                for number in range(args.rounds):  # interleaved rounds: drift and neighbours' load hit all alike
                    turn = order[number % len(order):] + order[:number % len(order)]  # and each goes first in turn
                    for request, (path, params) in requests.items():
                        for server in turn:
                            result = measure(server, request, path, params, token, expected[request], args, workdir,
                                             ours)
                            calm = measure(server, request, path, params, token, expected[request], args, workdir,
                                           ours, args.steady_connections, args.pause_ms)
                            print(f"{server.name:>10} {request:<14} {result.rps:8,.0f} req/s "
                                  f"p99 {result.p99_ms:.1f} ms; steady {calm.rps:6,.0f} req/s "
                                  f"p99 {calm.p99_ms:.2f} ms", file=sys.stderr)
                            runs.setdefault((request, server.name), []).append(result)
                            steady.setdefault((request, server.name), []).append(calm)
                results = [median_result(found) for found in runs.values()]
                steady_results = [median_result(found) for found in steady.values()]
            finally:
                for server in servers.values():
                    server.stop()
            counted = {name: count_answers(url) for name, url in databases.items() if url}
            logging.getLogger("line").disabled = True  # the in-process apps' request log is not the figure
            in_process_best = {name: in_process(migrated(fresh_database(name, url, workdir, 0, cluster)), token,
                                                secret, requests)
                               for name, url in databases.items() if url}
            flushes = {name: {rows: flush_cost(url, rows) for rows in (20, 100, 500)}
                       for name, url in databases.items() if url}
            sizes = {} if args.skip_size else {
                name: {kinds: size_per_million(migrated(fresh_database(name, url, workdir, kinds, cluster)), kinds)
                       for kinds in (20, 100)}
                for name, url in databases.items() if url
            }
    finally:
        if cluster is not None:
            cluster.close()
    by_key = {(r.request, r.server): r for r in results}
    lines.append(describe_run(args, command, requests, busy_before))
    lines.append("- Servers: the same Procfile command; `off` is USAGE_COUNTS=off, the others count into that database")
    lines.append("- on/off req/s and p99 rise: the median over rounds of each round's own ratio, so load that shifts "
                 "between rounds cancels")
    lines.append(f"- Two loads in each round: as fast as {args.connections} connections go (throughput, and a p99 "
                 f"that is mostly queueing), then steady, {args.steady_connections} connections each pausing "
                 f"{args.pause_ms} ms after each answer (well below capacity: the p99 of an answer itself, the target)")
    lines.append("- CPU us/answer: the servers' own CPU time per answer (all their processes), which load beside "
                 "them cannot inflate as it does wall-clock throughput; on/off CPU is off's over on's, as a "
                 "throughput ratio")
    lines += ["", "| request | server | req/s | p50 ms | p99 ms | errors | on/off req/s | p99 rise | CPU us/answer "
              "| on/off CPU |", "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    missed = []
    for r in results:
        base = by_key[(r.request, "off")]
        ratio, rise = round_ratios(runs[(r.request, r.server)], runs[(r.request, "off")])
        cpu = cpu_ratio(runs[(r.request, r.server)], runs[(r.request, "off")])
        shown = ("", "", "") if r.server == "off" else (f"{ratio:.3f}", f"{100 * rise:+.1f}%", f"{cpu:.3f}")
        lines.append(f"| {r.request} | {r.server} | {r.rps:,.0f} | {r.p50_ms:.1f} | {r.p99_ms:.1f} | {r.errors} "
                     f"| {shown[0]} | {shown[1]} | {r.cpu_us:.0f} | {shown[2]} |")
        if r.errors:
            missed.append(f"{r.server} {r.request}: {r.errors} errors")
        if r.server != "off" and ratio < MIN_RATIO:
            missed.append(f"{r.server} {r.request}: throughput ratio {ratio:.3f} (target at least {MIN_RATIO})")
    lines += ["", f"Steady load ({args.steady_connections} connections, {args.pause_ms} ms pause after each answer):",
              "", "| request | server | req/s | p50 ms | p99 ms | errors | p99 rise |",
              "|---|---|---:|---:|---:|---:|---:|"]
    steady_by_key = {(r.request, r.server): r for r in steady_results}
    for r in steady_results:
        base = steady_by_key[(r.request, "off")]
        _, rise = round_ratios(steady[(r.request, r.server)], steady[(r.request, "off")])
        shown = "" if r.server == "off" else f"{100 * rise:+.1f}%"
        lines.append(f"| {r.request} | {r.server} | {r.rps:,.0f} | {r.p50_ms:.2f} | {r.p99_ms:.2f} | {r.errors} "
                     f"| {shown} |")
        if r.errors:
            missed.append(f"{r.server} {r.request} (steady): {r.errors} errors")
        if r.server != "off" and rise > MAX_P99_RISE and r.p99_ms - base.p99_ms > P99_SLACK_MS:
            missed.append(f"{r.server} {r.request}: p99 at a steady load rose {100 * rise:.1f}% "
                          f"(target at most {100 * MAX_P99_RISE:.0f}%)")
    recording, _ = sink_cost()
    lines += ["", f"Recording one answer inside a request (the sink alone, in process): {recording:.2f} us"]
    for name, best in in_process_best.items():
        lines.append(f"- In process, {name}: {best['off']:.0f} us a request off, {best['on']:.0f} us on "
                     f"(throughput ratio {best['off'] / best['on']:.3f}; best of 7 alternating batches of 300)")
    lines += ["", "Answers counted in each database during the run (every answer wrk got, counted once):"]
    lines += [f"- {name}: {number:,}" for name, number in counted.items()]
    missed += [f"{name}: nothing was counted (does the line emit events?)" for name, n in counted.items() if not n]
    lines += ["", "Flush cost (median of 30 flushes, in the flushing thread, never in a request):", "",
              "| database | 20 rows | 100 rows | 500 rows |", "|---|---:|---:|---:|"]
    lines += [f"| {name} | " + " | ".join(f"{ms:.1f} ms" for ms in costs.values()) + " |"
              for name, costs in flushes.items()]
    if sizes:
        lines += ["", f"Database size per {ANSWERS:,} answers, spread evenly over a year (8,760 hours):", "",
                  "| database | 20 kinds of answer an hour | 100 kinds an hour |", "|---|---:|---:|"]
        lines += [f"| {name} | " + " | ".join(f"{mb:.1f} MB" for mb, _ in per.values()) + " |"
                  for name, per in sizes.items()]
    lines += ["", "\n".join(f"- MISSED: {line}" for line in missed) if missed else "All targets met."]
    report = "\n".join(lines) + "\n"
    print(report)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(report)
    return 1 if missed else 0


def round_ratios(on: list, off: list) -> tuple[float, float]:
    """The median, over rounds, of each round's throughput ratio and p99 rise against `off` in the same round."""
    ratios = [a.rps / b.rps for a, b in zip(on, off, strict=True)]
    rises = [(a.p99_ms - b.p99_ms) / b.p99_ms for a, b in zip(on, off, strict=True)]
    return statistics.median(ratios), statistics.median(rises)


def cpu_ratio(on: list, off: list) -> float:
    """The median, over rounds, of off's CPU per answer over on's in the same round (1.0: recording costs nothing)."""
    return statistics.median(b.cpu_us / a.cpu_us for a, b in zip(on, off, strict=True))


def median_result(runs: list):
    """One server's figures for one request: the median round by throughput, its errors summed over all."""
    middle = sorted(runs, key=lambda result: result.rps)[len(runs) // 2]
    return dataclasses.replace(
        middle,
        errors=sum(result.errors for result in runs),
        p99_ms=statistics.median(result.p99_ms for result in runs),
        p50_ms=statistics.median(result.p50_ms for result in runs),
        cpu_us=statistics.median(result.cpu_us for result in runs),
    )


def sink_cost(repeats: int = 200_000) -> tuple[float, float]:
    """Microseconds one answer's event costs inside a request: the recorder, against a sink that does nothing."""
    from usage_support import Event

    from app.usage.recorder import Recorder
    from app.usage.store import MEMORY_URL, Store

    recorder = Recorder(Store(MEMORY_URL), interval=3600)
    events = [Event("sms", "en-GB", served, "served", 2, started=i % 3 == 0)
              for i, served in enumerate(("bring", "ask", "when", "faq", "faq1", "menu", "help", "facts"))]

    def timed(sink) -> float:
        began = time.perf_counter()
        for number in range(repeats):
            sink(events[number % 8])
        return (time.perf_counter() - began) / repeats * 1e6

    nothing = timed(lambda event: None)
    return min(timed(recorder) for _ in range(3)) - nothing, nothing


def in_process(url: str, token: str, secret: str, requests: dict, batches: int = 7, size: int = 300) -> dict:
    """Microseconds per signed request through the app in this process, off and on, in alternating batches.

    The best batch of each is kept: on a shared machine, neighbours' load only ever adds time, so the
    minimum is the figure least disturbed by them.
    """
    from twilio.request_validator import RequestValidator

    from app import create_app

    apps = {}
    for name in ("off", "on"):
        settings = {"TWILIO_AUTH_TOKEN": token, "SECRET_KEY": secret, "LINE_PHONE_NUMBER": LINE_NUMBER,
                    "LINE_ENV": "production", "DATABASE_URL": url, "USAGE_COUNTS": name, "USAGE_FLUSH_SECONDS": 1,
                    "PUBLIC_BASE_URL": PUBLIC}
        apps[name] = create_app(settings)
    validator = RequestValidator(token)
    prepared = [(path, params, validator.compute_signature(f"{PUBLIC}{path}", params))
                for path, params in requests.values()]
    best = {"off": float("inf"), "on": float("inf")}
    for _ in range(batches):
        for name, app in apps.items():
            client = app.test_client(use_cookies=False)
            began = time.perf_counter()
            for number in range(size):
                path, params, signature = prepared[number % len(prepared)]
                client.post(path, data=params, headers={"X-Twilio-Signature": signature})
            best[name] = min(best[name], (time.perf_counter() - began) / size * 1e6)
    apps["on"].extensions["usage_recorder"].close()
    for app in apps.values():
        app.extensions["usage_store"].close()
    return best


def count_answers(url: str) -> int:
    """Answers in usage_counts."""
    from sqlalchemy import text

    from app.usage.store import Store

    store = Store(url)
    with store.engine.connect() as connection:
        number = connection.execute(text("SELECT COALESCE(SUM(answers), 0) FROM usage_counts")).scalar()
    store.close()
    return int(number)


def fresh_database(name: str, url: str, workdir: Path, kinds: int, cluster) -> str:
    """An empty database of the same kind, for the size figure."""
    if name == "sqlite":
        return f"sqlite:///{workdir / f'size-{kinds}.sqlite3'}"
    if cluster is not None:
        return cluster.new_database()
    return url  # a given PostgreSQL URL: measured as it is


if __name__ == "__main__":
    run(main)
