"""Benchmark the line against two floors under the Procfile's gunicorn settings, with wrk on loopback.

Usage: python bench/run.py [--seconds 20] [--connections 32]
Writes a Markdown table to stdout and to bench/results/latest.md; exits 1 if a target is missed,
2 if the benchmark could not run honestly (wrk missing, a server not starting, a wrong answer).
"""

import argparse
import contextlib
import datetime
import http.client
import os
import platform
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "latest.md"
sys.path.insert(0, str(ROOT))  # import this checkout's app, installed or not, as gunicorn does from cwd
FLOORS = {"bare": "bench.floors:bare_app()", "minimal": "bench.floors:minimal_app()"}
# The line as the Procfile serves it, and as it was served before (gunicorn's sync workers, one
# request per process at a time), so the serving set-up is compared with its predecessor in one run.
SYNC = "line-sync"
SYNC_FLAGS = "--worker-class sync --threads 1"  # on gunicorn's command line, these override gunicorn.conf.py
SERVERS = ("bare", "minimal", "line", SYNC)
LINES = ("line", SYNC)
PUBLIC = "https://line.example.org"  # PUBLIC_BASE_URL, which production requires: the line checks signatures for it
START_TIMEOUT = 30  # seconds for gunicorn to load the app and answer
QUIET_CPUS = 0.15  # other processes using more CPU than this during a run make its figures noisy
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
STOP_TIMEOUT = 15  # above graceful_timeout (10 s), so a clean stop is never cut short

# Targets from the issue, for a 2-core machine.
MIN_RATIO_TO_MINIMAL = 0.9
MIN_RATIO_TO_SYNC = 0.95  # the line's worker must keep the sync workers' throughput (within run-to-run noise)
MAX_P99_MS = 50
MAX_MB_PER_WORKER = 80

LINE_NUMBER = "+447700900123"  # Ofcom's drama range: never a real patient
CALLER = "+447700900456"
ACCOUNT = "AC" + "0" * 32
SMS = {
    "MessageSid": "SM" + "1" * 32,
    "SmsSid": "SM" + "1" * 32,
    "SmsMessageSid": "SM" + "1" * 32,
    "AccountSid": ACCOUNT,
    "From": CALLER,
    "To": LINE_NUMBER,
    "NumMedia": "0",
    "NumSegments": "1",
    "SmsStatus": "received",
    "ApiVersion": "2010-04-01",
}
CALL = {
    "CallSid": "CA" + "2" * 32,
    "AccountSid": ACCOUNT,
    "From": CALLER,
    "To": LINE_NUMBER,
    "CallStatus": "ringing",
    "Direction": "inbound",
    "ApiVersion": "2010-04-01",
}
REQUESTS = {
    "sms FAQ": ("/sms", {**SMS, "Body": "FAQ"}),
    "sms question": ("/sms", {**SMS, "Body": "what should I bring"}),
    "voice": ("/voice", CALL),
}

# wrk counts only 4xx/5xx as status errors; this counts anything but 2xx, and reports exact numbers.
WRK_SCRIPT = """
wrk.method = "POST"
wrk.body = "{body}"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["X-Twilio-Signature"] = "{signature}"
{pacing}

local threads = {{}}
function setup(thread) table.insert(threads, thread) end
function init(args) non2xx = 0 end
function response(status, headers, body)
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
end
function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do bad = bad + thread:get("non2xx") end
  local e = summary.errors
  io.write(string.format("BENCH requests=%d duration_us=%d non2xx=%d connect=%d read=%d write=%d timeout=%d\\n",
    summary.requests, summary.duration, bad, e.connect, e.read, e.write, e.timeout))
  io.write(string.format("BENCH p50_us=%d p99_us=%d\\n", latency:percentile(50), latency:percentile(99)))
end
"""


class BenchError(Exception):
    """The benchmark cannot give an honest figure: say why and stop."""


@dataclass
class Result:
    """One wrk run against one server."""

    request: str
    server: str
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    others_cpus: float  # CPUs used by processes other than the bench, its servers and wrk, during the run
    mb_per_worker: float = 0.0
    cpu_us: float = 0.0  # the server's CPU time per answer (clock ticks of all its processes), in microseconds


@dataclass
class Server:
    """One gunicorn started from the Procfile's command, with its worker memory sampled."""

    name: str
    command: str
    port: int
    env: dict
    log_path: Path
    process: subprocess.Popen | None = None
    cwd: Path = ROOT  # the checkout served: this one, or an earlier commit's (bench/compare.py)
    peak_kb: dict = field(default_factory=dict)  # worker pid -> highest VmHWM seen
    sampling: threading.Event = field(default_factory=threading.Event)

    def start(self) -> None:
        """Start gunicorn in its own process group, logging to a file (a full pipe would block it)."""
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                ["sh", "-c", self.command],
                cwd=self.cwd,
                env={**self.env, "PORT": str(self.port)},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        threading.Thread(target=self.sample_memory, daemon=True).start()

    def wait_ready(self) -> None:
        """Wait, bounded, until the port accepts connections; fail if gunicorn exits first."""
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"{self.name}: gunicorn exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                if len(self.workers()) >= 1:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise BenchError(f"{self.name}: not answering on port {self.port} after {START_TIMEOUT} s:\n{self.log_tail()}")

    def workers(self) -> list[int]:
        """Pids of gunicorn's workers: the children of the master, which is sh's child or sh itself."""
        children = child_pids()
        shell = self.process.pid
        masters = children.get(shell, []) if is_shell(shell) else [shell]  # sh may exec gunicorn
        return [pid for master in masters for pid in children.get(master, [])]

    def sample_memory(self) -> None:
        """Record each worker's peak RSS (VmHWM) every quarter second while the server runs."""
        while not self.sampling.is_set() and self.process.poll() is None:
            for pid in self.workers():
                kb = read_kb(pid, "VmHWM")
                if kb:
                    self.peak_kb[pid] = max(kb, self.peak_kb.get(pid, 0))
            self.sampling.wait(0.25)

    def peak_mb(self) -> float:
        """The highest peak RSS of any worker so far, in MB."""
        return max(self.peak_kb.values(), default=0) / 1024

    def stop(self) -> None:
        """SIGTERM the master (sh exits with it), then SIGKILL whatever is left of the process group."""
        self.sampling.set()
        if self.process is None:
            return
        shell = self.process.pid
        masters = child_pids().get(shell, []) if is_shell(shell) else [shell]
        for master in masters:
            os.kill(master, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=STOP_TIMEOUT)
        with contextlib.suppress(ProcessLookupError):  # the group is empty: all stopped cleanly
            os.killpg(shell, signal.SIGKILL)
        self.process.wait(timeout=5)

    def log_tail(self, lines: int = 15) -> str:
        """The end of gunicorn's log, for error messages."""
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def child_pids() -> dict[int, list[int]]:
    """Map each process id to its children's ids, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])  # the name in parentheses may hold spaces
        children.setdefault(ppid, []).append(int(entry))
    return children


def process_tree(roots: list[int]) -> set[int]:
    """These processes and all their descendants, from /proc."""
    children, frontier, pids = child_pids(), list(roots), set()
    while frontier:  # bounded: a process tree has no cycles
        pid = frontier.pop()
        pids.add(pid)
        frontier.extend(children.get(pid, []))
    return pids


def is_shell(pid: int) -> bool:
    """Tell whether a process is still the shell (its command line names gunicorn too, so look at argv[0])."""
    try:
        program = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0]
    except OSError:
        return False
    return Path(program.decode()).name in ("sh", "dash", "bash")


def cpu_ticks() -> dict[int, int]:
    """CPU time each process has used so far, with its reaped children's, in clock ticks."""
    ticks = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            ticks[int(entry)] = sum(int(value) for value in fields[11:15])  # utime, stime, cutime, cstime
    return ticks


def others_cpus(before: dict[int, int], after: dict[int, int], ours: set[int], seconds: float) -> float:
    """How many CPUs processes outside `ours` used between two snapshots."""
    used = sum(ticks - before.get(pid, 0) for pid, ticks in after.items() if pid not in ours)
    return used / CLOCK_TICKS / seconds


def wait_until_quiet(ours: set[int], limit: int) -> None:
    """Wait, at most `limit` seconds, for a second in which other processes leave the CPUs alone."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        before = cpu_ticks()
        time.sleep(1)
        if others_cpus(before, cpu_ticks(), ours, 1) <= QUIET_CPUS:
            return


def read_kb(pid: int, name: str) -> int:
    """One kB figure from /proc/<pid>/status, or 0 if the process has gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(name + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def procfile_command() -> str:
    """The web command from the Procfile, as the platform runs it."""
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.startswith("web:"):
            return line.removeprefix("web:").strip()
    raise BenchError("Procfile has no web: line")


def floor_command(command: str, app_spec: str) -> str:
    """The Procfile's command with only the app swapped, so gunicorn's settings are the same."""
    head, _, last = command.rpartition(" ")
    if len(shlex.split(last)) != 1 or ":" not in shlex.split(last)[0]:
        raise BenchError(f"cannot find the app in the Procfile's command: {command}")
    return f"{head} {shlex.quote(app_spec)}"


def sync_command(command: str) -> str:
    """The Procfile's command on gunicorn's sync workers, as the line was served before."""
    head, _, last = command.rpartition(" ")
    return f"{head} {SYNC_FLAGS} {last}"


def free_port() -> int:
    """A port nothing is listening on, from the kernel."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def post(port: int, path: str, body: str, signature: str) -> tuple[int, str, bytes]:
    """One POST over loopback, without following redirects: status, content type, body."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature}
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type", ""), response.read()
    finally:
        connection.close()


def expected_bodies(token: str, secret: str, port: int, requests: dict) -> dict[str, bytes]:
    """What the line should answer to each request, from the same app built in this process."""
    import logging

    from twilio.request_validator import RequestValidator

    from app import create_app

    app = create_app(
        {
            "TWILIO_AUTH_TOKEN": token,
            "SECRET_KEY": secret,
            "LINE_ENV": "production",
            "LINE_PHONE_NUMBER": LINE_NUMBER,
            "PUBLIC_BASE_URL": PUBLIC,
        }
    )
    logging.getLogger("line").disabled = True  # its request log belongs to the servers, not here
    client = app.test_client()
    base = f"http://127.0.0.1:{port}"
    validator = RequestValidator(token)
    bodies = {}
    for name, (path, params) in requests.items():
        signature = validator.compute_signature(PUBLIC + path, params)
        response = client.post(path, data=params, headers={"X-Twilio-Signature": signature}, base_url=base)
        if response.status_code != 200:
            raise BenchError(f"line in-process: {name} answered {response.status_code}")
        bodies[name] = response.get_data()
    return bodies


def check(server: Server, name: str, path: str, body: str, signature: str, expected: bytes) -> None:
    """One request before the load: it must be 200 with exactly the expected TwiML, or the figures lie."""
    status, kind, answer = post(server.port, path, body, signature)
    if status != 200 or not kind.startswith("text/xml") or answer != expected:
        hint = " (403: the signature or the URL it covers is wrong)" if status == 403 else ""
        raise BenchError(
            f"{server.name} {name}: expected 200 text/xml with the prepared TwiML, got {status} {kind}{hint}:\n"
            f"{answer[:400]!r}\nexpected:\n{expected[:400]!r}"
        )


def check_refuses_unsigned(server: Server, path: str, body: str) -> None:
    """A wrong signature must get 403, so the signature check really runs under load."""
    status, _, _ = post(server.port, path, body, "not-a-signature")
    if status != 403:
        raise BenchError(f"{server.name}: a wrongly signed {path} got {status}, not 403: the check is not running")


def wrk(port: int, path: str, script: Path, seconds: int, connections: int, threads: int) -> dict[str, int]:
    """Run wrk against one URL on loopback and return the numbers its done() printed."""
    command = [
        "wrk",
        f"--threads={threads}",
        f"--connections={connections}",
        f"--duration={seconds}s",
        "--latency",
        f"--script={script}",
        f"http://127.0.0.1:{port}{path}",
    ]
    run = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    printed = "\n".join(line for line in run.stdout.splitlines() if line.startswith("BENCH "))
    numbers = {key: int(value) for key, value in re.findall(r"(\w+)=(\d+)", printed)}
    if run.returncode != 0 or "requests" not in numbers:
        raise BenchError(f"wrk failed ({run.returncode}):\n{run.stdout}\n{run.stderr}")
    return numbers


def measure(
    server: Server, name: str, path: str, params: dict, token: str, expected: bytes, args, workdir: Path, ours,
    connections: int = 0, pause_ms: int = 0,
) -> Result:
    """Check one answer, then drive the server with wrk (again if other work shared the CPUs) and return the figures.

    By default as fast as `args.connections` allow; with `pause_ms`, each connection waits that long after
    each answer before its next request (a steady load below capacity, wrk's delay()).
    """
    connections = connections or args.connections
    pacing = f"function delay() return {pause_ms} end" if pause_ms else ""
    from twilio.request_validator import RequestValidator

    body = urllib.parse.urlencode(params)
    # The line checks the URL Twilio was given; the floors, like any plain webhook, the URL that arrived.
    public = server.env.get("PUBLIC_BASE_URL")
    url = f"{public}{path}" if public else f"http://127.0.0.1:{server.port}{path}"
    signature = RequestValidator(token).compute_signature(url, params)
    script = workdir / f"{server.name}-{path.strip('/')}-{secrets.token_hex(4)}.lua"
    script.write_text(WRK_SCRIPT.format(body=body, signature=signature, pacing=pacing))
    check(server, name, path, body, signature, expected)
    for attempt in range(1 + args.retries):
        wait_until_quiet(ours(), args.quiet_wait)
        if args.warmup:
            wrk(server.port, path, script, args.warmup, connections, args.threads)
        before, started = cpu_ticks(), time.monotonic()
        numbers = wrk(server.port, path, script, args.seconds, connections, args.threads)
        after = cpu_ticks()
        noise = others_cpus(before, after, ours(), time.monotonic() - started)
        if noise <= QUIET_CPUS:
            break
        print(f"{server.name} {name}: other processes used {noise:.2f} CPUs (try {attempt + 1})", file=sys.stderr)
    if server.process.poll() is not None:
        raise BenchError(f"{server.name} died under load:\n{server.log_tail()}")
    check(server, name, path, body, signature, expected)
    errors = sum(numbers[key] for key in ("non2xx", "connect", "read", "write", "timeout"))
    return Result(
        request=name,
        server=server.name,
        rps=numbers["requests"] / (numbers["duration_us"] / 1e6),
        p50_ms=numbers["p50_us"] / 1000,
        p99_ms=numbers["p99_us"] / 1000,
        errors=errors,
        others_cpus=noise,
        mb_per_worker=server.peak_mb(),
        cpu_us=server_cpu_seconds(server, before, after) * 1e6 / max(numbers["requests"], 1),
    )


def server_cpu_seconds(server: Server, before: dict[int, int], after: dict[int, int]) -> float:
    """CPU time the server's processes used between two snapshots: what its answers cost, whatever the load beside."""
    pids = process_tree([server.process.pid])
    return sum(after.get(pid, 0) - before.get(pid, 0) for pid in pids) / CLOCK_TICKS


def table(results: list[Result]) -> str:
    """The results as Markdown: the line's throughput as a ratio of each floor's, and of the sync workers'."""
    rows = [
        "| request | server | req/s | p50 ms | p99 ms | errors | peak MB/worker | line/minimal | line/bare "
        "| req/s vs sync | p99 vs sync | others' CPU |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    by_key = {(r.request, r.server): r for r in results}
    for r in results:
        ratios = ("", "", "", "")
        if r.server in LINES:
            ratios = tuple(f"{r.rps / by_key[(r.request, floor)].rps:.2f}" for floor in ("minimal", "bare"))
            sync = by_key[(r.request, SYNC)]
            ratios += (f"{r.rps / sync.rps:.2f}", f"{r.p99_ms / sync.p99_ms:.2f}") if r.server == "line" else ("", "")
        rows.append(
            f"| {r.request} | {r.server} | {r.rps:,.0f} | {r.p50_ms:.1f} | {r.p99_ms:.1f} | {r.errors} "
            f"| {r.mb_per_worker:.1f} | {' | '.join(ratios)} | {r.others_cpus:.2f} |"
        )
    return "\n".join(rows)


def verdicts(results: list[Result]) -> list[str]:
    """Each target missed, in words; empty when all are met."""
    by_key = {(r.request, r.server): r for r in results}
    missed = []
    for r in results:
        if r.errors:
            missed.append(f"{r.server} {r.request}: {r.errors} errors (target 0)")
        if r.server != "line":
            continue
        ratio = r.rps / by_key[(r.request, "minimal")].rps
        if ratio < MIN_RATIO_TO_MINIMAL:
            missed.append(f"line {r.request}: line/minimal {ratio:.2f} (target at least {MIN_RATIO_TO_MINIMAL})")
        if r.p99_ms >= MAX_P99_MS:
            missed.append(f"line {r.request}: p99 {r.p99_ms:.1f} ms (target under {MAX_P99_MS} ms)")
        to_sync = r.rps / by_key[(r.request, SYNC)].rps
        if to_sync < MIN_RATIO_TO_SYNC:
            missed.append(f"line {r.request}: {to_sync:.2f} of sync's req/s (target at least {MIN_RATIO_TO_SYNC})")
        if r.mb_per_worker >= MAX_MB_PER_WORKER:
            missed.append(f"line {r.request}: {r.mb_per_worker:.1f} MB per worker (target under {MAX_MB_PER_WORKER})")
    return missed


def describe_run(args, command: str, requests: dict, load_before: float) -> str:
    """What was run, where, so a figure can be reproduced or questioned."""
    described = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True)
    commit = described.stdout.strip() or "(not a git checkout)"
    workers = os.environ.get("WEB_CONCURRENCY", "2 (gunicorn.conf.py default)")
    return "- " + (
        f"{datetime.datetime.now().isoformat(timespec='seconds')}, commit {commit}, "
        f"{os.cpu_count()} CPUs, load average before {load_before:.2f}, Python {platform.python_version()}\n- "
        f"Servers: `{command}` (the Procfile), the same with `{SYNC_FLAGS}` ({SYNC}: the serving set-up before "
        f"the line's own worker), and the same with the app swapped for {' and '.join(FLOORS.values())}; "
        f"workers {workers}, threads {os.environ.get('WEB_THREADS', '1 (gunicorn.conf.py default)')}\n- "
        f"Load: wrk {args.threads} thread(s), {args.connections} connections, {args.seconds} s per run "
        f"after a {args.warmup} s warm-up, signed POSTs over 127.0.0.1; requests: {', '.join(requests)}\n- "
        "Errors: socket errors plus any non-2xx answer. Memory: the highest VmHWM of any worker "
        "(resident, including pages shared with the preloaded master)."
    )


def parse_args() -> argparse.Namespace:
    """Command-line options; the defaults are the issue's measurement."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=20, help="seconds of load per run (default 20)")
    parser.add_argument("--connections", type=int, default=32, help="concurrent connections (default 32)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads: 1 leaves the CPUs to the server")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of unmeasured load before each run")
    parser.add_argument("--retries", type=int, default=2, help="runs again when other work shared the CPUs")
    parser.add_argument("--quiet-wait", type=int, default=60, help="seconds to wait for quiet CPUs before a run")
    parser.add_argument("--requests", default=",".join(REQUESTS), help="which request types, comma-separated")
    args = parser.parse_args()
    if not (
        1 <= args.seconds <= 300
        and 0 <= args.warmup <= 30
        and 1 <= args.connections <= 1000
        and 0 <= args.retries <= 5
        and 0 <= args.quiet_wait <= 600
    ):
        parser.error("seconds 1-300, warmup 0-30, connections 1-1000, retries 0-5, quiet-wait 0-600")
    return args


def select_requests(names: str) -> dict:
    """The request types asked for, by name."""
    chosen = {}
    for name in (n.strip() for n in names.split(",")):
        if name not in REQUESTS:
            raise BenchError(f"unknown request type {name!r} (known: {', '.join(REQUESTS)})")
        chosen[name] = REQUESTS[name]
    return chosen


def main() -> int:
    """Start the three servers, check each answer, drive each with wrk, and report."""
    args = parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed: run `apt-get install wrk` (Debian/Ubuntu) and try again.", file=sys.stderr)
        return 2
    requests = select_requests(args.requests)
    command = procfile_command()
    token, secret = secrets.token_hex(16), secrets.token_hex(32)
    bin_dir = str(Path(sys.executable).parent)  # the venv's gunicorn, as the platform's would be
    from bench.floors import REPLY

    busy_before = os.getloadavg()[0]
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="line-bench-") as tmp:
        workdir = Path(tmp)
        servers = {}
        for name in SERVERS:
            env = {
                **os.environ,
                "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""),
                "TWILIO_AUTH_TOKEN": token,
                "SECRET_KEY": secret,
                "LINE_PHONE_NUMBER": LINE_NUMBER,
            } | ({"PUBLIC_BASE_URL": PUBLIC} if name in LINES else {})  # the floors check the URL that arrived
            server_command = {"line": command, SYNC: sync_command(command)}.get(name) or floor_command(
                command, FLOORS[name]
            )
            servers[name] = Server(name, server_command, free_port(), env, workdir / f"{name}.log")

        def ours() -> set[int]:
            """This process (and so wrk, its child) and every process of the three servers."""
            return {os.getpid()} | process_tree([server.process.pid for server in servers.values()])

        try:
            for server in servers.values():
                server.start()
            for server in servers.values():
                server.wait_ready()
            expected = expected_bodies(token, secret, servers["line"].port, requests)
            for name in ("minimal", *LINES):
                check_refuses_unsigned(servers[name], "/sms", urllib.parse.urlencode(REQUESTS["sms FAQ"][1]))
            for request, (path, params) in requests.items():
                for server in servers.values():  # back to back, so drift on the machine hits all three alike
                    want = expected[request] if server.name in LINES else REPLY.encode()
                    result = measure(server, request, path, params, token, want, args, workdir, ours)
                    print(f"{server.name:>8} {request:<14} {result.rps:8,.0f} req/s", file=sys.stderr)
                    results.append(result)
        finally:
            for server in servers.values():
                server.stop()
    for result in results:  # a worker's peak over the whole run: the servers start and stop once
        result.mb_per_worker = servers[result.server].peak_mb()
    report = f"{describe_run(args, command, requests, busy_before)}\n\n{table(results)}\n"
    noisy = [f"{r.server} {r.request}" for r in results if r.others_cpus > QUIET_CPUS]
    if noisy:
        report += (
            f"\nWarning: other processes used more than {QUIET_CPUS} CPUs during {', '.join(noisy)} "
            f"(even after {args.retries} retries): those figures are low and their ratios noisy.\n"
        )
    missed = verdicts(results)
    report += "\n" + ("\n".join(f"- MISSED: {line}" for line in missed) if missed else "All targets met.") + "\n"
    print(report)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(report)
    return 1 if missed else 0


def run(main) -> None:
    """Run a benchmark's `main`: a kill (SIGTERM) still stops the servers and clusters it started."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # SystemExit runs the `finally`s that stop them
    try:
        sys.exit(main())
    except BenchError as error:
        print(f"Benchmark failed: {error}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    run(main)
