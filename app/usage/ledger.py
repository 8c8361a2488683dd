"""The call ledger: a "text me this" is sent, and a call's status callback counted, at most once, across machines."""

import hashlib
import hmac
import logging
import time
from datetime import UTC, datetime, timedelta

from app.usage.store import Store

log = logging.getLogger("line")

KEEP = timedelta(hours=24)  # a claim outlives any call
PRUNE_EVERY = 3600  # seconds between deletions of old claims, per worker


class Ledger:
    """One claim per call and purpose: True the first time; in doubt, claim() says no and first_time() yes."""

    def __init__(self, store: Store, secret_key: str):
        self.store = store
        self.key = secret_key.encode()  # without it, a claim cannot be matched to a call id
        self.pruned_at: float | None = None  # the first claim in a worker prunes

    def digest(self, call_sid: str, topic: str) -> str:
        """What is stored for a call and topic: HMAC-SHA256 in hex, never the call id itself."""
        return hmac.new(self.key, f"{call_sid}:{topic}".encode(), hashlib.sha256).hexdigest()

    def claim(self, call_sid: str, topic: str) -> bool:
        """Claim the one text for this call and topic; a database that is down or slow says no (fail closed)."""
        try:
            return self._claim(call_sid, topic)
        except Exception as error:  # down, slow (the store's timeout), locked or full: no text rather than two
            log.warning("text ledger: the database refused a claim (%s): no text sent", type(error).__name__)
            return False

    def first_time(self, call_sid: str, what: str) -> bool:
        """Claim a callback for this call: False only when the database holds it already (Twilio retried it)."""
        try:
            return self._claim(call_sid, what)
        except Exception as error:  # fail open: counting a rare retry twice is better than losing a call
            log.warning("call ledger: the database refused a claim (%s): counted without it", type(error).__name__)
            return True

    def _claim(self, call_sid: str, what: str) -> bool:
        """Insert the claim, pruning old ones about once an hour; raises if the database refused."""
        now = datetime.now(UTC).replace(tzinfo=None)
        hour = now.replace(minute=0, second=0, microsecond=0)
        prune = self.pruned_at is None or time.monotonic() - self.pruned_at > PRUNE_EVERY
        claimed = self.store.claim(self.digest(call_sid, what), hour, hour - KEEP if prune else None)
        if prune:
            self.pruned_at = time.monotonic()
        return claimed
