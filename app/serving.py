"""The gunicorn worker the Procfile runs: each request read whole by the main loop before the app runs.

gunicorn's threaded worker gives a thread to a connection once its first byte arrives, and then
waits as long as the client likes: a client sending a byte a second holds that thread for good,
and as many such clients as there are threads take the line down. More threads are no cure: the
line's answers are pure Python, so threads only take turns on the interpreter's lock, and the
turns they wait for after each socket read and write cost a third of the throughput (measured).

So this worker reads every request in its main loop without blocking, as a buffering proxy would:
the app runs only once a request's headers and body have all arrived, and a request that has not
arrived READ_SECONDS after its connection was ready for it is answered 408 and closed. A dribbling
client holds nothing but a socket. With WEB_THREADS=1 (the default) the main loop then runs the
app itself, one request at a time, as gunicorn's sync worker does; with more, a pool of threads
does, for deployments whose requests wait on something slow.
"""

import contextlib
import errno
import heapq
import itertools
import os
import re
import selectors
import sys
import time
from concurrent.futures import Future
from functools import partial

from gunicorn import util
from gunicorn.http.body import Body, LengthReader
from gunicorn.http.unreader import IterUnreader
from gunicorn.workers.gthread import TConn, ThreadWorker

from app import MAX_REQUEST_BYTES
from app.web import security_headers

READ_SECONDS = 5.0  # for a whole request, from when its connection was ready: Twilio's few KB take milliseconds
WRITE_SECONDS = 5.0  # for an answer to leave, so a client that never reads cannot hold the worker
HEADER_BYTES = 16 * 1024  # gunicorn's own limits refuse long lines and fields; this bounds the headers in all
CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:[ \t]*(\d+)", re.IGNORECASE)
CHUNKED = re.compile(rb"\r\ntransfer-encoding:[^\r]*chunked", re.IGNORECASE)  # Twilio always sends a length
EXPECT_CONTINUE = re.compile(rb"\r\nexpect:[ \t]*100-continue", re.IGNORECASE)


def page(status: str, text: str) -> bytes:
    """A short plain-text answer that closes the connection."""
    body = text.encode() + b"\n"
    return (
        f"HTTP/1.1 {status}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body


TIMED_OUT = page("408 Request Timeout", "Request Timeout")
LENGTH_REQUIRED = page("411 Length Required", "Length Required")
HEADERS_TOO_LARGE = page("431 Request Header Fields Too Large", "Request Header Fields Too Large")
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


def body_lacking(head: bytes, body_bytes: int) -> int:
    """How many bytes of its body a request with these headers still lacks; 0 when the app can have it.

    A body longer than the app accepts is whole once the app's limit is in: the app answers 413.
    """
    length = CONTENT_LENGTH.search(head)
    wanted = min(int(length.group(1)), MAX_REQUEST_BYTES + 1) if length else 0
    return max(0, wanted - body_bytes)


class Arrival:
    """A request coming in on a connection, read by the main loop, with the time it must be in by."""

    def __init__(self, conn: TConn, data: bytes = b""):
        self.conn = conn
        self.data = bytearray(data)
        self.deadline = time.monotonic() + READ_SECONDS
        self.continued = False  # "100 Continue" sent, for a client that waits for it before its body


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


class LineWorker(ThreadWorker):
    """gunicorn's gthread worker, reading each request whole in its main loop before the app runs on it."""

    @classmethod
    def check_config(cls, cfg, log) -> None:
        """Refuse what this worker cannot serve: it reads the bytes of plain HTTP/1.1 requests itself."""
        super().check_config(cfg, log)
        if cfg.is_ssl or cfg.http2_cleartext != "off":
            sys.exit(f"Error: {cls.__module__}.{cls.__name__} serves plain HTTP/1.1: end TLS and HTTP/2 in front of it")

    def init_process(self) -> None:
        """Nothing arriving yet: the requests being read, and their deadlines in order."""
        self.arrivals: dict[TConn, Arrival] = {}
        self.deadlines: list[tuple[float, int, Arrival]] = []
        self.order = itertools.count()  # breaks ties between deadlines, so arrivals are never compared
        super().init_process()

    def accept(self, listener) -> None:
        """A new connection: read its first request in the main loop."""
        try:
            client, address = listener.accept()
        except OSError as error:
            if error.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        self.nr_conns += 1
        self.await_request(TConn(self.cfg, client, address, listener.getsockname()))

    def on_client_socket_readable(self, conn, client) -> None:
        """A kept-alive connection has begun its next request: read that in the main loop too."""
        self.poller.unregister(client)
        self.keepalived_conns.remove(conn)
        self.await_request(conn)

    def enqueue_req(self, conn) -> None:
        """gunicorn's call when an answer's connection holds bytes of the next request: read the rest here too."""
        self.await_request(conn, conn.parser.unreader.take_buffered())

    def await_request(self, conn: TConn, data: bytes = b"") -> None:
        """Start reading one request on a connection, with READ_SECONDS to arrive whole."""
        conn.sock.setblocking(False)
        arrival = Arrival(conn, data)
        self.arrivals[conn] = arrival
        heapq.heappush(self.deadlines, (arrival.deadline, next(self.order), arrival))
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self.on_request_bytes, arrival))
        if data:  # bytes read ahead may be a whole request already; the socket may never be readable again
            self.method_queue.defer(self.take, arrival, b"")

    def on_request_bytes(self, arrival: Arrival, client) -> None:
        """Read what the client has sent so far."""
        try:
            chunk = client.recv(64 * 1024)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            chunk = b""
        if not chunk:  # the client went away before finishing its request
            self.drop(arrival)
            return
        self.take(arrival, chunk)

    def take(self, arrival: Arrival, chunk: bytes) -> None:
        """Add bytes to a request; once it is whole, answer it."""
        if self.arrivals.get(arrival.conn) is not arrival:
            return  # already answered or dropped
        arrival.data += chunk
        end = arrival.data.find(b"\r\n\r\n", 0, HEADER_BYTES + 4)
        if end < 0:
            if len(arrival.data) > HEADER_BYTES:
                self.drop(arrival, HEADERS_TOO_LARGE)
            return
        head = bytes(arrival.data[: end + 2])  # the request line and each header, each ending in CRLF
        if CHUNKED.search(head):
            self.drop(arrival, LENGTH_REQUIRED)
        elif not body_lacking(head, len(arrival.data) - end - 4):
            self.stop_reading(arrival)
            self.answer(arrival)
        elif not arrival.continued and EXPECT_CONTINUE.search(head):
            arrival.continued = True
            with contextlib.suppress(OSError):
                arrival.conn.sock.send(CONTINUE)

    def answer(self, arrival: Arrival) -> None:
        """Give a whole request to the app: here in the main loop with one thread, or to the pool."""
        conn = arrival.conn
        conn.init()  # the connection's parser, made once; it reads only what is handed to it here
        conn.parser.unreader.unread(bytes(arrival.data))
        if self.cfg.threads > 1:
            super().enqueue_req(conn)
            return
        done = Future()
        done.set_result(self.handle(conn))  # handle() answers every error itself and returns False
        self.finish_request(conn, done)

    def stop_reading(self, arrival: Arrival) -> None:
        """The main loop is done with this request, whole or not."""
        self.poller.unregister(arrival.conn.sock)
        del self.arrivals[arrival.conn]

    def drop(self, arrival: Arrival, answer: bytes = b"") -> None:
        """Close a connection whose request will not be answered, with a short answer if it had begun."""
        self.stop_reading(arrival)
        if answer:
            with contextlib.suppress(OSError):  # non-blocking: a client that reads nothing loses the answer
                arrival.conn.sock.send(with_headers(answer, headers()))
        self.nr_conns -= 1
        arrival.conn.close()

    def murder_pending(self) -> None:
        """Also close the connections whose request is late: 408 if it had begun, silently if not."""
        super().murder_pending()
        now = time.monotonic()
        while self.deadlines and self.deadlines[0][0] <= now:
            _, _, arrival = heapq.heappop(self.deadlines)
            if self.arrivals.get(arrival.conn) is not arrival:
                continue  # answered in time, or gone
            if arrival.data:
                self.log.info("request not received within %s s: answered 408 and closed", READ_SECONDS)
            self.drop(arrival, TIMED_OUT if arrival.data else b"")

    def handle_request(self, req, conn) -> bool:
        """Give the app its body, read already; a body over the app's limit ends the connection after the 413."""
        req._expected_100_continue = False  # sent by the main loop if the client asked, before its body came
        conn.sock.settimeout(WRITE_SECONDS)  # blocking, with a bound: the answer is all that is left to send
        data = req.body.read(MAX_REQUEST_BYTES + 1) if req.body is not None else b""
        req.body = Body(LengthReader(IterUnreader([data]), len(data)))
        return super().handle_request(req, conn) and len(data) <= MAX_REQUEST_BYTES

    def handle_error(self, req, client, addr, exc) -> None:
        """gunicorn's answer to a bad request, with the security headers."""
        captured = Captured()
        super().handle_error(req, captured, addr, exc)
        if not captured.data:
            return
        try:
            util.write_nonblock(client, with_headers(captured.data, headers()))
        except OSError:
            self.log.debug("Failed to send error message.")
