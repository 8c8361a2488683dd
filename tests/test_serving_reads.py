"""How the Procfile's worker reads requests before the app runs: whole, on time, or a short answer and closed."""

import socket
import subprocess
import time
import urllib.parse

import pytest
from support import CALLER, LINE_NUMBER, assert_valid_twiml
from test_serving import (
    PUBLIC,
    TOKEN,
    WAIT,
    free_port,
    healthy,
    procfile_command,
    production,
    signed_sms,
    start,
    wait_for,
)
from test_serving import stop as stop_server
from twilio.request_validator import RequestValidator

from app import MAX_REQUEST_BYTES
from app.serving import READ_SECONDS
from app.web import SECURITY_HEADERS


def serve(tmp_path_factory, **settings):
    """The line on the Procfile's command with production settings: (process, port)."""
    port = free_port()
    process = start(procfile_command(port), production(tmp_path_factory.mktemp("serving"), **settings))
    wait_for(lambda: healthy(port), "/healthz to answer 200", process)
    return process, port


@pytest.fixture(scope="module", params=["1", "4"], ids=["main loop answers", "thread pool answers"])
def port(request, tmp_path_factory):
    """The served line's port, with WEB_THREADS=1 (the default) and with a pool of four threads."""
    process, port = serve(tmp_path_factory, WEB_THREADS=request.param)
    yield port
    stop_server(process)


def signed_body(text: str = "FAQ") -> tuple[bytes, str]:
    """A text's form body, and its signature for /sms at the public URL."""
    params = {"From": CALLER, "To": LINE_NUMBER, "Body": text, "NumMedia": "0", "MessageSid": "SM" + "0" * 32}
    return urllib.parse.urlencode(params).encode(), RequestValidator(TOKEN).compute_signature(f"{PUBLIC}/sms", params)


def sms_request(body: bytes, signature: str, extra: bytes = b"") -> bytes:
    """The head of a signed POST /sms with this body's length."""
    return (
        b"POST /sms HTTP/1.1\r\nHost: line.example.org\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        + f"X-Twilio-Signature: {signature}\r\nContent-Length: {len(body)}\r\n".encode()
        + extra
        + b"\r\n"
    )


def read_answers(sock: socket.socket, count: int) -> list[tuple[str, dict, bytes]]:
    """Read `count` HTTP answers with a Content-Length from one connection: (status line, headers, body)."""
    buffered, answers = b"", []
    while len(answers) < count:
        while b"\r\n\r\n" not in buffered:
            chunk = sock.recv(65536)
            assert chunk, f"closed after {len(answers)} answers: {buffered[:200]!r}"
            buffered += chunk
        head, _, buffered = buffered.partition(b"\r\n\r\n")
        status, *lines = head.decode("latin-1").split("\r\n")
        headers = {name.lower(): value for name, value in (line.split(": ", 1) for line in lines)}
        length = int(headers.get("content-length", "0"))
        while len(buffered) < length:
            buffered += sock.recv(65536)
        answers.append((status, headers, buffered[:length]))
        buffered = buffered[length:]
    return answers


def closed_by_server(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def test_two_requests_sent_at_once_are_both_answered_in_order(port):
    first, first_signature = signed_body("FAQ")
    second, second_signature = signed_body("BRING")
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as sock:
        sock.sendall(sms_request(first, first_signature) + first + sms_request(second, second_signature) + second)
        answers = read_answers(sock, 2)
    assert [status for status, _, _ in answers] == ["HTTP/1.1 200 OK", "HTTP/1.1 200 OK"]
    faq, bring = (assert_valid_twiml(body.decode()) for _, _, body in answers)
    assert faq.findtext("Message") != bring.findtext("Message")


def test_a_client_waiting_for_100_continue_gets_it_then_its_answer(port):
    body, signature = signed_body()
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as sock:
        sock.sendall(sms_request(body, signature, b"Expect: 100-continue\r\n"))
        assert sock.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(body)
        ((status, _, answer),) = read_answers(sock, 1)
    assert status == "HTTP/1.1 200 OK"
    assert assert_valid_twiml(answer.decode()).findtext("Message")


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (
            b"POST /sms HTTP/1.1\r\nHost: line.example.org\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nBody=\r\n",
            "411 Length Required",
        ),
        (b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X-A: b\r\n" * 2100, "431"),
    ],
    ids=["chunked body", "headers that never end"],
)
def test_a_request_the_worker_will_not_read_gets_a_short_answer_with_the_headers_and_is_closed(port, raw, status):
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as sock:
        sock.sendall(raw)
        answer = closed_by_server(sock)
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    assert status_line.startswith(f"HTTP/1.1 {status}"), status_line
    headers = dict(line.split(": ", 1) for line in lines)
    for name, value in SECURITY_HEADERS.items():
        assert headers.get(name) == value, (name, headers)
    assert int(headers["Content-Length"]) == len(body)


def test_a_body_over_the_limit_gets_413_and_the_connection_closes(port):
    body = b"Body=" + b"x" * MAX_REQUEST_BYTES
    _, signature = signed_body()
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as sock:
        sock.sendall(sms_request(body, signature) + body)
        answer = closed_by_server(sock)
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:80]


def test_a_connection_that_sends_nothing_is_closed_silently_while_others_are_answered(port):
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as idle:
        opened = time.monotonic()
        answer = signed_sms(port, "FAQ")
        assert answer is not None and answer[0] == 200
        assert closed_by_server(idle) == b""
        held = time.monotonic() - opened
    assert READ_SECONDS - 0.5 < held < READ_SECONDS + 2, held


def test_the_pages_come_whole_one_after_another_on_one_connection(port):
    requests = b"".join(
        f"GET {path} HTTP/1.1\r\nHost: line.example.org\r\n\r\n".encode() for path in ("/", "/card", "/card.txt")
    )
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as sock:
        sock.sendall(requests)
        answers = read_answers(sock, 3)
    assert [status for status, _, _ in answers] == ["HTTP/1.1 200 OK"] * 3
    home, card, text = (body.decode() for _, _, body in answers)
    assert home.rstrip().endswith("</html>") and card.rstrip().endswith("</html>")
    assert LINE_NUMBER[-4:] in text.replace(" ", "")


@pytest.mark.parametrize(
    "flags", ["--http2-cleartext prior-knowledge", "--certfile {dir}/cert.pem --keyfile {dir}/key.pem"]
)
def test_a_start_asking_the_worker_for_tls_or_http2_is_refused_in_one_line(tmp_path, flags):
    certificate = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost"]
    subprocess.run(
        [*certificate, "-keyout", tmp_path / "key.pem", "-out", tmp_path / "cert.pem"], check=True, capture_output=True
    )
    process = start(f"{procfile_command(free_port())} {flags.format(dir=tmp_path)}", production(tmp_path))
    output = process.communicate(timeout=WAIT * 3)[0].decode()
    assert process.returncode != 0
    assert "Error: app.serving.LineWorker serves plain HTTP/1.1: end TLS and HTTP/2 in front of it" in output
    assert "Traceback" not in output
