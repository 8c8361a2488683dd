"""Counting in memory, per worker, flushed to the database from a background thread: never inside a request.

A request only adds to a dictionary under a lock held for microseconds. Every few seconds a thread adds
what waits to the database in one transaction (upserts that add, so workers and machines sum exactly),
and takes away exactly what was added; a database that is down, slow, locked or full only makes counts
wait. The wait is bounded by rows (one row per hour and kind of answer): once that many rows wait, a
new kind of answer is dropped, counted per hour in dropped_counts and logged. Graceful shutdown flushes
(gunicorn's worker_exit hook, and atexit); a SIGKILL loses at most the last flush interval.
"""

import atexit
import functools
import logging
import os
import re
import threading
import time
import weakref
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from app.usage import schema
from app.usage.store import Batch, Store
from app.usage.unmatched import scrub

if TYPE_CHECKING:
    from app.events import Event

log = logging.getLogger("line")

COUNTED_CHANNELS = frozenset({"sms", "whatsapp", "voice"})  # the try-it panels ("try-text", "try-call") never count
MAX_BACKOFF = 30.0  # seconds between retries while the database stays unreachable
VOCABULARY = re.compile(r"[A-Za-z0-9_.:-]+")  # ids and locales: anything else is not the line's vocabulary
MAX_KINDS = 4096  # cleaned kinds of answer remembered per worker: the line's vocabulary is far smaller
_recorders: "weakref.WeakSet[Recorder]" = weakref.WeakSet()


@functools.lru_cache(maxsize=4096)
def clean(value: object, size: int) -> str:
    """The value if it is a short id from the line's vocabulary, else "-": no free text ever reaches a table."""
    if isinstance(value, str) and len(value) <= size and VOCABULARY.fullmatch(value):
        return value
    return "-"


def bucket(seconds: int) -> str:
    """The call-length bucket for a duration in seconds."""
    return next(label for label, limit in schema.CALL_BUCKETS if limit is None or seconds < limit)


class Recorder:
    """The event sink: counts in memory, a bounded buffer, and a flush thread started in each worker."""

    def __init__(self, store: Store, interval: float = 5.0, max_rows: int = 10_000, exit_timeout: float = 3.0):
        self.store = store
        self.interval = interval
        self.max_rows = max_rows
        self.exit_timeout = exit_timeout  # seconds a final flush may retry: inside gunicorn's graceful_timeout
        self.dropped = 0  # answers dropped in this process since it started
        self._reset()
        _recorders.add(self)

    def _reset(self) -> None:
        """Fresh state for this process: a forked worker starts empty, its parent flushes its own counts."""
        self.pid = os.getpid()
        self.pending = Batch()
        self.lock = threading.Lock()  # guards pending; never held during database work
        self.flushing = threading.Lock()  # one flush at a time
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None
        self.failing = False
        self.dropped_unlogged = 0
        self._hour_number = -1
        self._hour = datetime.min
        self._kinds: dict[tuple, tuple] = {}  # each raw (channel, locale, served, outcome) once cleaned

    def hour(self) -> datetime:
        """Now, in UTC, truncated to the hour: nothing finer is ever kept."""
        number = int(time.time() // 3600)
        if number != self._hour_number:
            self._hour = datetime.fromtimestamp(number * 3600, UTC).replace(tzinfo=None)
            self._hour_number = number
        return self._hour

    def __call__(self, event: "Event") -> None:
        """Count one answer; cheap, and never raises for a well-formed event."""
        if event.channel not in COUNTED_CHANNELS:
            return
        if self.thread is None:  # the first answer in this process (a fork clears it: see _forked)
            self._start()
        hour = self.hour()
        raw = (event.channel, event.locale, event.served, event.outcome)
        kind = self._kinds.get(raw)
        if kind is None:
            kind = (event.channel, clean(event.locale, schema.LOCALE), clean(event.served, schema.SERVED),
                    clean(event.outcome, schema.OUTCOME))
            if len(self._kinds) < MAX_KINDS:
                self._kinds[raw] = kind
        key = (hour, *kind)
        talk = (hour, kind[0], kind[1]) if event.started else None
        pending = self.pending
        with self.lock:
            needed = (key not in pending.usage) + (talk is not None and talk not in pending.conversations)
            if needed and self._rows() + needed > self.max_rows:
                self._drop(hour)
                return
            row = pending.usage.setdefault(key, [0, 0])
            row[0] += 1
            row[1] += max(0, int(event.segments))
            if talk is not None:
                pending.conversations[talk] = pending.conversations.get(talk, 0) + 1

    def record_call(self, locale: str, seconds: int) -> None:
        """Count one finished call in its length bucket."""
        if self.thread is None:
            self._start()
        hour = self.hour()
        key = (hour, clean(locale, schema.LOCALE), bucket(seconds))
        with self.lock:
            if key not in self.pending.durations and self._rows() + 1 > self.max_rows:
                self._drop(hour)
                return
            self.pending.durations[key] = self.pending.durations.get(key, 0) + 1

    def record_unmatched(self, locale: str, text: str) -> None:
        """Keep a text the line did not understand (RECORD_UNMATCHED=1), scrubbed, with the day only."""
        kept = scrub(text)
        if not kept:
            return
        if self.thread is None:
            self._start()
        with self.lock:
            if self._rows() + 1 <= self.max_rows:  # a full buffer keeps the counts, not the texts
                self.pending.unmatched.append((self.hour().date(), clean(locale, schema.LOCALE), kept))

    def _rows(self) -> int:
        """Rows waiting, not counting the dropped tally itself (one per hour, always kept)."""
        pending = self.pending
        return len(pending.usage) + len(pending.conversations) + len(pending.durations) + len(pending.unmatched)

    def _drop(self, hour: datetime) -> None:
        """Count an answer that the full buffer cannot hold (the lock is held)."""
        self.pending.dropped[hour] = self.pending.dropped.get(hour, 0) + 1
        self.dropped += 1
        self.dropped_unlogged += 1

    def _start(self) -> None:
        """Start this process's flush thread (the first answer in a worker, after gunicorn forked it)."""
        with _start_lock:
            if self.pid == os.getpid() and self.thread is not None:
                return
            if self.pid != os.getpid():
                self._reset()
            self.thread = threading.Thread(
                target=_flush_loop, args=(weakref.ref(self),), name="usage-flush", daemon=True
            )
            self.thread.start()
            global _atexit_pid
            if _atexit_pid != os.getpid():  # once per process; a bound method would keep every recorder alive
                atexit.register(close_all)
                _atexit_pid = os.getpid()

    def flush(self) -> bool:
        """Add what waits to the database in one transaction; False (counts kept) if the database refused."""
        with self.flushing:
            with self.lock:
                batch = self.pending.copy()
                dropped_unlogged, self.dropped_unlogged = self.dropped_unlogged, 0
            if dropped_unlogged:
                log.warning(
                    "usage counts: %d answers not counted: %d rows already wait for the database (USAGE_BUFFER_ROWS)",
                    dropped_unlogged, self.max_rows,
                )
            if not batch.rows():
                return True
            try:
                self.store.add(batch)
            except Exception as error:  # any failure: the counts stay in memory, to be retried
                if not self.failing:
                    log.warning(
                        "usage counts: the database refused a flush (%s); %d rows wait in memory and are retried",
                        type(error).__name__, batch.rows(),
                    )
                self.failing = True
                return False
            with self.lock:
                self.pending.subtract(batch)
            if self.failing:
                log.info("usage counts: the database is back; %d rows flushed", batch.rows())
                self.failing = False
            return True

    def waiting(self) -> int:
        """Rows waiting to be flushed."""
        with self.lock:
            return self._rows()

    def close(self) -> None:
        """Stop the thread and flush what waits, retrying for a few seconds; log what could not be saved."""
        if self.pid != os.getpid():
            return  # a parent's recorder, inherited by a fork: nothing of this process's to flush
        self.stopping.set()
        deadline = time.monotonic() + self.exit_timeout
        while not self.flush() and time.monotonic() < deadline:
            time.sleep(0.2)
        with self.lock:
            lost = sum(answers for answers, _ in self.pending.usage.values()) + sum(self.pending.durations.values())
        if lost:
            log.error("usage counts: %d answers lost at shutdown: the database could not be reached", lost)


_start_lock = threading.Lock()
_atexit_pid = 0


def _flush_loop(reference: "weakref.ref[Recorder]") -> None:
    """Flush every interval; back off while the database refuses; end with the process or the recorder."""
    delay = None
    while True:
        recorder = reference()
        if recorder is None:
            return
        stopping, interval = recorder.stopping, recorder.interval
        delay = interval if delay is None else delay
        del recorder  # hold no reference while waiting: a recorder nobody uses can be collected
        if stopping.wait(delay):
            return  # close() does the last flush itself
        recorder = reference()
        if recorder is None:
            return
        delay = interval if recorder.flush() else min(delay * 2, MAX_BACKOFF)
        del recorder


def _forked() -> None:
    """In a new child process (a gunicorn worker): every recorder starts afresh on its first answer."""
    global _start_lock
    _start_lock = threading.Lock()  # a lock held by a parent's thread at the fork would never be released here
    for recorder in list(_recorders):
        recorder.thread = None


os.register_at_fork(after_in_child=_forked)


def close_all() -> None:
    """Flush every recorder of this process: gunicorn's worker_exit hook calls this on a graceful stop."""
    for recorder in list(_recorders):
        recorder.close()
