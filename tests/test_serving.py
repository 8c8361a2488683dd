"""The Procfile's gunicorn, for real: graceful stops, replaced workers, refusing bad releases, serving /sms."""

import contextlib
import http.client
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

import pytest
from content_copy import content_copy
from slow_wsgi import BODY
from support import CALLER, LINE_NUMBER, assert_valid_twiml
from twilio.request_validator import RequestValidator

from app import config

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "7c1e4b9a2f6d0c3e8a5b1f7d4c2e9a06"  # shaped like a Twilio auth token, as production requires
SECRET = "serving-test-secret-key-0123456789abcdef0123456789"
PUBLIC = "https://line.example.org"  # PUBLIC_BASE_URL: what Twilio calls, and so what it signs
WAIT = 30  # seconds: the longest any step here may take before the test fails (three test processes share the cores)


def procfile_command(port: int, app_spec: str | None = None) -> str:
    """The Procfile's web command with $PORT filled in, and optionally another app in place of the line."""
    line = next(line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("web:"))
    command = line.removeprefix("web:").strip().replace("$PORT", str(port))
    if app_spec:
        command = command.replace("'app:create_app()'", app_spec)
        assert app_spec in command, "the Procfile no longer runs 'app:create_app()'"
    return command


def free_port() -> int:
    """A port nobody listens on, from the kernel."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def environment(tmp_path: Path, **settings: str) -> dict:
    """The platform's environment: the venv first on PATH, none of the line's settings but those given."""
    env = {name: value for name, value in os.environ.items() if name not in config.DEFAULTS}
    for name in config.SERVING:  # the gunicorn.conf.py defaults are the settings under test
        env.pop(name, None)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env["XDG_RUNTIME_DIR"] = str(tmp_path)  # where gunicorn would put its control socket (it must not)
    return env | settings


def production(tmp_path: Path, **settings: str) -> dict:
    """A good production environment, with any setting overridden."""
    return environment(
        tmp_path,
        **{"TWILIO_AUTH_TOKEN": TOKEN, "SECRET_KEY": SECRET, "LINE_PHONE_NUMBER": LINE_NUMBER}
        | {"PUBLIC_BASE_URL": PUBLIC}
        | settings,
    )


def start(command: str, env: dict) -> subprocess.Popen:
    """Run the command as the platform does (sh -c, from the checkout), in its own process group."""
    return subprocess.Popen(
        ["sh", "-c", command],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop(process: subprocess.Popen) -> str:
    """Kill whatever is left of the server's process group and return its output."""
    with contextlib.suppress(ProcessLookupError):  # even when sh has gone: an orphaned gunicorn may not have
        os.killpg(process.pid, signal.SIGKILL)
    output, _ = process.communicate(timeout=WAIT)
    return output.decode(errors="replace")


def children(pid: int) -> set[int]:
    """The ids of a process's children, from /proc."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(entry.name))
    return found


def master_pid(process: subprocess.Popen) -> int:
    """gunicorn's master: the shell's one child, or the shell's own pid when sh exec'd the command."""
    program = Path(f"/proc/{process.pid}/cmdline").read_bytes().split(b"\0")[0]
    if Path(program.decode()).name not in ("sh", "dash", "bash"):
        return process.pid
    (master,) = wait_for(lambda: children(process.pid), "gunicorn to start", process)
    return master


def wait_for(condition, what: str, process: subprocess.Popen | None = None):
    """Poll `condition` until it returns something true, for at most WAIT seconds."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            pytest.fail(f"gunicorn exited ({process.returncode}) while waiting for {what}:\n{stop(process)}")
        result = condition()
        if result:
            return result
        time.sleep(0.05)
    pytest.fail(f"gave up after {WAIT} s waiting for {what}")


def request(port: int, method: str, path: str, body: str = "", headers: dict | None = None):
    """One request over loopback: (status, headers, body), or None if nothing answers yet."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=WAIT)
    try:
        connection.request(method, path, body=body or None, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    except OSError:
        return None
    finally:
        connection.close()


def listening(port: int) -> bool:
    """Tell whether something accepts connections on the port."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


def healthy(port: int) -> bool:
    """Tell whether /healthz answers 200."""
    answer = request(port, "GET", "/healthz")
    return answer is not None and answer[0] == 200


def signed_sms(port: int, body: str):
    """Text the served line as Twilio would: form-encoded, signed for the URL it is sent to."""
    params = {"From": CALLER, "To": LINE_NUMBER, "Body": body, "NumMedia": "0", "MessageSid": "SM" + "0" * 32}
    signature = RequestValidator(TOKEN).compute_signature(f"{PUBLIC}/sms", params)
    headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature}
    return request(port, "POST", "/sms", urllib.parse.urlencode(params), headers)


@pytest.fixture
def line(tmp_path):
    """The line served by the Procfile's command with production settings: (process, port)."""
    port = free_port()
    process = start(procfile_command(port), production(tmp_path))
    try:
        wait_for(lambda: healthy(port), "/healthz to answer 200", process)
        yield process, port
    finally:
        stop(process)


def test_sigterm_lets_an_answer_in_flight_finish(tmp_path):
    port = free_port()
    started = tmp_path / "started"
    env = environment(tmp_path, PYTHONPATH=str(ROOT / "tests"), SLOW_WSGI_STARTED=str(started))
    process = start(procfile_command(port, "slow_wsgi:app"), env)
    answers = []
    try:
        wait_for(lambda: listening(port), "gunicorn to listen", process)  # no request: each one takes 1.5 s
        slow = threading.Thread(target=lambda: answers.append((request(port, "GET", "/slow"), time.monotonic())))
        slow.start()
        wait_for(started.exists, "the slow request to reach a worker", process)
        stopped_at = time.monotonic()
        os.kill(master_pid(process), signal.SIGTERM)
        slow.join(WAIT)
        exit_code = process.wait(timeout=WAIT)
    finally:
        output = stop(process)
    assert answers, f"no answer arrived:\n{output}"
    (answer, answered_at) = answers[0]
    assert answer is not None, f"the connection was cut:\n{output}"
    status, _, body = answer
    assert (status, body) == (200, BODY)
    assert answered_at > stopped_at  # the answer was still in flight when SIGTERM arrived
    assert exit_code == 0, output


def test_a_killed_worker_is_replaced(line):
    process, port = line
    master = master_pid(process)
    workers = wait_for(lambda: children(master) if len(children(master)) >= 2 else None, "two workers", process)
    victim = min(workers)
    os.kill(victim, signal.SIGKILL)
    replaced = wait_for(lambda: children(master) - workers, "a new worker", process)
    assert victim not in children(master)
    assert replaced
    assert healthy(port)


def refused_start(tmp_path, **settings) -> tuple[int, list[str], str]:
    """Start the Procfile's command with these production settings; it should exit: its code and output."""
    process = start(procfile_command(free_port()), production(tmp_path, **settings))
    try:
        exit_code = process.wait(timeout=WAIT)
    finally:
        output = stop(process)
    return exit_code, [line for line in output.splitlines() if line.strip()], output


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"TWILIO_AUTH_TOKEN": ""}, "Error: production needs TWILIO_AUTH_TOKEN set in the environment"),
        ({"SECRET_KEY": ""}, "Error: production needs SECRET_KEY set in the environment"),
        ({"SECRET_KEY": "too-short-for-production"}, "Error: production needs SECRET_KEY of at least 32"),
        ({"TWILIO_AUTH_TOKEN": "x"}, "Error: production needs TWILIO_AUTH_TOKEN as the Twilio console shows it"),
        ({"SECRET_KEY": "x" * 40}, "Error: production needs a random SECRET_KEY: this one repeats itself"),
        ({"SECRET_KEY": TOKEN}, "Error: production needs SECRET_KEY different from TWILIO_AUTH_TOKEN"),
        ({"PUBLIC_BASE_URL": ""}, "Error: production needs PUBLIC_BASE_URL set to the https:// address"),
        ({"PUBLIC_BASE_URL": "http://line.example.org"}, "Error: production needs PUBLIC_BASE_URL set to the https://"),
        ({"TWILIO_API_BASE_URL": "http://127.0.0.1:9"}, "Error: setting TWILIO_API_BASE_URL is for tests only"),
        ({"PROXY_HOPS": "-1"}, "Error: setting PROXY_HOPS: -1 must be from 0 to 5"),
        ({"WEB_CONCURRENCY": "0"}, "Error: setting WEB_CONCURRENCY: 0 must be from 1 to 32"),
        ({"WEB_CONCURRENCY": "abc"}, "Error: setting WEB_CONCURRENCY: 'abc' is not a whole number"),
        ({"WEB_THREADS": "0"}, "Error: setting WEB_THREADS: 0 must be from 1 to 64"),
    ],
    ids=["no auth token", "no secret key", "short secret key", "weak token", "repeated key", "key is token",
         "no base url", "http base url", "api override", "negative proxy hops", "no workers", "workers not a number",
         "no threads"],
)
def test_production_refuses_unsafe_settings_in_one_line(tmp_path, settings, message):
    exit_code, printed, output = refused_start(tmp_path, **settings)
    assert exit_code != 0
    assert len(printed) == 1 and printed[0].startswith(message), output
    assert "Traceback" not in output


def test_broken_content_never_starts_and_the_running_release_keeps_serving(tmp_path, line):
    _, running_port = line
    content = content_copy(tmp_path)
    with (content / "en" / "line.yaml").open("a", encoding="utf-8") as broken:
        broken.write("sms_menu: [unclosed\n")
    exit_code, printed, output = refused_start(tmp_path, CONTENT_DIR=str(content))
    assert exit_code != 0
    assert len(printed) == 1 and printed[0].startswith("Error: ") and "line.yaml" in printed[0], output
    assert "Traceback" not in output
    assert healthy(running_port)


def test_serves_a_signed_text_with_a_message(line, content):
    _, port = line
    status, headers, body = signed_sms(port, "BRING")
    assert status == 200
    assert headers["Content-Type"].startswith("text/xml")
    messages = assert_valid_twiml(body.decode(), messaging=True).findall("Message")
    assert [message.text for message in messages] == [content.replies["bring"][0]]


def test_the_control_socket_is_off(line, tmp_path):
    _, port = line
    assert healthy(port)
    time.sleep(3)  # gunicorn opens it (when on) in a thread after the workers start: give it the time
    assert not (tmp_path / "gunicorn.ctl").exists()


SLOW_HEADERS = b"POST /sms HTTP/1.1\r\nHost: line.example.org\r\nX-Slow: " + b"y" * 200 + b"\r\n\r\n"
SLOW_BODY_HEAD = (
    b"POST /sms HTTP/1.1\r\nHost: line.example.org\r\nContent-Type: application/x-www-form-urlencoded\r\n"
    b"Content-Length: 200\r\n\r\n"
)


def dribble(port: int, kind: str, stop: threading.Event, cut: list) -> None:
    """Keep one connection sending a byte a second (of headers, or of a body), reconnecting whenever it is cut."""
    while not stop.is_set():
        sock = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
        head, slow = (b"", SLOW_HEADERS) if kind == "headers" else (SLOW_BODY_HEAD, b"x" * 200)
        opened, answer = time.monotonic(), b""
        try:
            sock.sendall(head)
            for byte in slow:
                readable, _, _ = select.select([sock], [], [], 1)  # the server's answer, or a second to wait
                if readable:
                    answer = sock.recv(4096)
                    break
                sock.sendall(bytes([byte]))
            else:
                answer = b"(sent everything)"
        except OSError:
            answer = answer or b"(reset)"
        finally:
            sock.close()
        if not stop.is_set():
            cut.append((kind, time.monotonic() - opened, answer[:40]))


def test_slow_clients_cannot_starve_the_line(line):
    from app.serving import READ_SECONDS

    _, port = line
    slow_connections = 6  # three times the workers, each with one thread (the defaults)
    stop, cut = threading.Event(), []
    clients = [
        threading.Thread(target=dribble, args=(port, "headers" if n % 2 else "body", stop, cut), daemon=True)
        for n in range(slow_connections)
    ]
    for client in clients:
        client.start()
    timings = []
    try:
        time.sleep(1.5)  # every slow connection has started dribbling
        deadline = time.monotonic() + 12  # long enough for every slow connection to be cut and come back twice
        while time.monotonic() < deadline:
            started = time.monotonic()
            answer = signed_sms(port, "FAQ")
            timings.append((time.monotonic() - started, answer and answer[0]))
            time.sleep(0.2)
    finally:
        stop.set()
        for client in clients:
            client.join(WAIT)
    slowest = max(seconds for seconds, _ in timings)
    assert all(status == 200 for _, status in timings), timings
    assert slowest < 1, f"slowest answer {slowest:.2f} s of {len(timings)}"
    assert len(timings) >= 30
    # Each slow connection was answered 408 and closed once its request's time was up, not held.
    assert {kind for kind, _, _ in cut} == {"headers", "body"}, cut
    assert len(cut) >= 2 * slow_connections, cut
    for kind, held, answer in cut:
        assert answer.startswith(b"HTTP/1.1 408 "), (kind, answer)
        assert READ_SECONDS - 0.5 < held < READ_SECONDS + 2, (kind, held)


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (b"NOT A REQUEST\r\n\r\n", 400),
        (b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
        (b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n", 431),
    ],
    ids=["bad request line", "long uri", "long header"],
)
def test_gunicorns_own_error_pages_carry_the_security_headers(line, raw, status):
    from app.web import HSTS, SECURITY_HEADERS

    _, port = line
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as sock:
        sock.sendall(raw)
        answer = b""
        while chunk := sock.recv(4096):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    assert lines[0].startswith(f"HTTP/1.1 {status} "), lines[0]
    headers = dict(line.split(": ", 1) for line in lines[1:])
    for name, value in (SECURITY_HEADERS | HSTS).items():
        assert headers.get(name) == value, (name, headers)
    assert int(headers["Content-Length"]) == len(body)
