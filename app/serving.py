"""The gunicorn worker the Procfile runs: threads, a deadline for each request to arrive, headers on every page.

gunicorn's threaded worker gives a thread to a connection once its first byte arrives, and then
waits as long as the client likes: a client sending a byte a second holds that thread for good,
and as many such clients as there are threads take the line down. This worker gives each request
READ_SECONDS from its first byte for the headers and the whole body (read here, before the app
runs, as a buffering proxy would), then answers 408 and closes. A dribbling client can hold a
thread for READ_SECONDS at most, and the other threads keep answering meanwhile.
"""

import os
import time

from gunicorn import util
from gunicorn.http.body import Body, LengthReader
from gunicorn.http.unreader import IterUnreader
from gunicorn.workers.gthread import ThreadWorker

from app import MAX_REQUEST_BYTES
from app.web import security_headers

READ_SECONDS = 5.0  # headers and body, from the first byte: Twilio's few KB arrive in milliseconds


class ReadTimeout(Exception):
    """A request's headers and body did not all arrive within READ_SECONDS."""


class DeadlineSocket:
    """A client socket whose reads for one request share one deadline, which a byte a second cannot stretch."""

    def __init__(self, sock, seconds: float = READ_SECONDS):
        self._sock = sock
        self.seconds = seconds
        self.armed = False
        self.deadline: float | None = None

    def arm(self) -> None:
        """A new request may start: its clock starts with the next read."""
        self.armed, self.deadline = True, None

    def disarm(self) -> None:
        """The request has arrived (or failed): reads go straight to the socket again."""
        self.armed = False

    def recv(self, size: int) -> bytes:
        """Read as the socket would, but never past the request's deadline."""
        if not self.armed:
            return self._sock.recv(size)
        now = time.monotonic()
        if self.deadline is None:
            self.deadline = now + self.seconds
        if now >= self.deadline:
            raise ReadTimeout
        self._sock.settimeout(self.deadline - now)
        try:
            return self._sock.recv(size)
        except TimeoutError:
            raise ReadTimeout from None

    def __getattr__(self, name: str):
        """Everything else (send, fileno, close, timeouts) is the socket's own."""
        return getattr(self._sock, name)


class Captured:
    """Stands in for the client socket while gunicorn writes one of its own error pages."""

    def __init__(self):
        self.data = b""

    def gettimeout(self) -> float:
        """Non-blocking, so gunicorn's writer calls sendall directly."""
        return 0.0

    def sendall(self, data: bytes) -> None:
        """Keep what gunicorn would have sent."""
        self.data += data


def with_headers(response: bytes, headers: dict[str, str]) -> bytes:
    """An HTTP/1.1 response with headers added after its status line."""
    status, _, rest = response.partition(b"\r\n")
    added = "".join(f"{name}: {value}\r\n" for name, value in headers.items()).encode("latin-1")
    return status + b"\r\n" + added + rest


def headers() -> dict[str, str]:
    """The pages' security headers, for the pages gunicorn writes itself."""
    return security_headers(os.environ.get("LINE_ENV") == "production")


TIMED_OUT = (
    b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: 16\r\n\r\n"
    b"Request Timeout\n"
)


class LineWorker(ThreadWorker):
    """gunicorn's gthread worker, with a read deadline per request and security headers on its own pages."""

    def enqueue_req(self, conn) -> None:
        """Every time a connection goes to a thread, a new request may start on it: arm its deadline."""
        if not isinstance(conn.sock, DeadlineSocket):
            conn.sock = DeadlineSocket(conn.sock)
        conn.sock.arm()
        super().enqueue_req(conn)

    def handle(self, conn):
        """Serve one request; whatever happened, later reads (a graceful close's drain) have no deadline."""
        try:
            return super().handle(conn)
        finally:
            conn.sock.disarm()

    def handle_request(self, req, conn) -> bool:
        """Read the whole body within the deadline, then run the app on it with no socket read left to wait for."""
        if req._expected_100_continue:  # gunicorn sends this when the app starts, too late for the read here
            conn.sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
            req._expected_100_continue = False
        data = req.body.read(MAX_REQUEST_BYTES + 1) if req.body is not None else b""
        complete = len(data) <= MAX_REQUEST_BYTES  # beyond it the app answers 413 and the rest stays unread
        conn.sock.disarm()
        conn.sock.settimeout(None)  # blocking again, to write the answer
        req.body = Body(LengthReader(IterUnreader([data]), len(data)))
        return super().handle_request(req, conn) and complete

    def handle_error(self, req, client, addr, exc) -> None:
        """gunicorn's answer to a bad request, with the security headers; 408 for one that came too slowly."""
        if isinstance(exc, ReadTimeout):
            self.log.info("request not received within %s s: answered 408 and closed", READ_SECONDS)
            page = TIMED_OUT
        else:
            captured = Captured()
            super().handle_error(req, captured, addr, exc)
            page = captured.data
        if not page:
            return
        try:
            util.write_nonblock(client, with_headers(page, headers()))
        except OSError:
            self.log.debug("Failed to send error message.")
