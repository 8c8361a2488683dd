"""Serve the line at an earlier commit beside this checkout's, in turn under the same load: before and after in one run.

Usage: python bench/compare.py --before f076883 [--seconds 10] [--rounds 3] [--steady-connections 4 --pause-ms 4]
Each side is its own checkout's Procfile command with its own gunicorn.conf.py (the earlier commit as a
git worktree in a temporary folder), both run by this venv's Python, with the same secrets and
PUBLIC_BASE_URL. Each answer must be 200 TwiML and the same before and after the load. Rounds take
turns, so load from elsewhere that comes and goes hits both sides alike; each figure is the median
over rounds of that round's after/before ratio. Each round also runs a steady load well below capacity,
for an answer's own p50 and p99. Writes Markdown to stdout and bench/results/compare.md.
"""

import argparse
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import (  # noqa: E402 - after the path is set, as bench/run.py does
    LINE_NUMBER,
    PUBLIC,
    REQUESTS,
    BenchError,
    Server,
    free_port,
    measure,
    post,
    process_tree,
    run,
)

RESULTS = ROOT / "bench" / "results" / "compare.md"


def worktree(commit: str, folder: Path) -> Path:
    """A checkout of `commit` in `folder`, from this repository, with the content and guide beside it."""
    subprocess.run(["git", "worktree", "add", "--detach", str(folder), commit], cwd=ROOT, check=True,
                   capture_output=True)
    return folder


def answer(server: Server, path: str, params: dict, token: str) -> bytes:
    """The server's answer to one signed request, which must be 200 TwiML: what it must keep answering."""
    import urllib.parse

    from twilio.request_validator import RequestValidator

    signature = RequestValidator(token).compute_signature(PUBLIC + path, params)
    status, kind, body = post(server.port, path, urllib.parse.urlencode(params), signature)
    if status != 200 or not kind.startswith("text/xml") or b"<Response>" not in body:
        raise BenchError(f"{server.name} {path}: expected 200 TwiML, got {status} {kind}: {body[:200]!r}")
    return body


def procfile(checkout: Path) -> str:
    """A checkout's web command, run by this venv (its bin first on PATH)."""
    for line in (checkout / "Procfile").read_text().splitlines():
        if line.startswith("web:"):
            return line.removeprefix("web:").strip()
    raise BenchError(f"{checkout}/Procfile has no web: line")


def main() -> int:
    """Serve both commits, measure them in turn, and report after/before."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True, help="the earlier commit")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--retries", type=int, default=2, help="runs again when other work shared the CPUs")
    parser.add_argument("--quiet-wait", type=int, default=60)
    parser.add_argument("--steady-connections", type=int, default=4, help="connections of the steady load")
    parser.add_argument("--pause-ms", type=int, default=4, help="ms each steady connection waits between answers")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise BenchError("wrk is not installed: run `apt-get install wrk`")
    token, secret = secrets.token_hex(16), secrets.token_hex(32)
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""), "TWILIO_AUTH_TOKEN": token,
           "SECRET_KEY": secret, "LINE_PHONE_NUMBER": LINE_NUMBER, "PUBLIC_BASE_URL": PUBLIC}
    runs: dict[tuple[str, str], list] = {}
    with tempfile.TemporaryDirectory(prefix="line-compare-") as tmp:
        workdir = Path(tmp)
        # The earlier checkout sits beside this one's ../shared, which its tests and content report expect.
        before = worktree(args.before, ROOT.parent / f".compare-{args.before[:12]}-{secrets.token_hex(3)}")
        servers = {
            "before": Server("before", procfile(before), free_port(), env, workdir / "before.log", cwd=before),
            "after": Server("after", procfile(ROOT), free_port(), env, workdir / "after.log"),
        }

        def ours() -> set[int]:
            return {os.getpid()} | process_tree([server.process.pid for server in servers.values()])

        try:
            for server in servers.values():
                server.start()
            for server in servers.values():
                server.wait_ready()
            order = list(servers.values())
            for number in range(args.rounds):
                for request, (path, params) in REQUESTS.items():
                    for server in order[number % 2:] + order[:number % 2]:  # each side goes first in turn
                        expected = answer(server, path, params, token)
                        result = measure(server, request, path, params, token, expected, args, workdir, ours)
                        calm = measure(server, request, path, params, token, expected, args, workdir, ours,
                                       args.steady_connections, args.pause_ms)
                        print(f"{server.name:>6} {request:<14} {result.rps:8,.0f} req/s p99 {result.p99_ms:.1f} ms; "
                              f"steady p99 {calm.p99_ms:.2f} ms", file=sys.stderr)
                        runs.setdefault((request, server.name), []).append(result)
                        runs.setdefault((request, server.name, "steady"), []).append(calm)
        finally:
            for server in servers.values():
                server.stop()
            subprocess.run(["git", "worktree", "remove", "--force", str(before)], cwd=ROOT, capture_output=True)
    lines = [
        f"- {time.strftime('%Y-%m-%dT%H:%M:%S')}, before {args.before}, after "
        + subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True,
                         text=True).stdout.strip()
        + f", {os.cpu_count()} CPUs; wrk {args.connections} connections, {args.seconds} s a run, {args.rounds} rounds",
        "- Each side its own Procfile and gunicorn.conf.py; figures are medians over rounds; ratios are the median "
        "of each round's after/before",
        "",
        "| request | before req/s | after req/s | after/before | before p99 ms | after p99 ms | after/before p99 |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for request in REQUESTS:
        old, new = runs[(request, "before")], runs[(request, "after")]
        speed = statistics.median(n.rps / o.rps for o, n in zip(old, new, strict=True))
        tail = statistics.median(n.p99_ms / o.p99_ms for o, n in zip(old, new, strict=True))
        rps = [statistics.median(r.rps for r in side) for side in (old, new)]
        p99 = [statistics.median(r.p99_ms for r in side) for side in (old, new)]
        lines.append(
            f"| {request} | {rps[0]:,.0f} | {rps[1]:,.0f} | {speed:.2f} | {p99[0]:.1f} | {p99[1]:.1f} | {tail:.2f} |"
        )
    lines += ["", f"Steady load ({args.steady_connections} connections, each pausing {args.pause_ms} ms after an "
              "answer: well below capacity, so p99 is an answer's own time, not the queue):", "",
              "| request | before p50 ms | after p50 ms | before p99 ms | after p99 ms | after/before p99 |",
              "|---|---:|---:|---:|---:|---:|"]
    for request in REQUESTS:
        old, new = runs[(request, "before", "steady")], runs[(request, "after", "steady")]
        tail = statistics.median(n.p99_ms / o.p99_ms for o, n in zip(old, new, strict=True))
        p50 = [statistics.median(r.p50_ms for r in side) for side in (old, new)]
        p99 = [statistics.median(r.p99_ms for r in side) for side in (old, new)]
        lines.append(f"| {request} | {p50[0]:.2f} | {p50[1]:.2f} | {p99[0]:.2f} | {p99[1]:.2f} | {tail:.2f} |")
    errors = sum(r.errors for found in runs.values() for r in found)
    lines += ["", f"Errors (socket errors and non-2xx answers) in all runs: {errors}"]
    report = "\n".join(lines) + "\n"
    print(report)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(report)
    return 1 if errors else 0


if __name__ == "__main__":
    run(main)
