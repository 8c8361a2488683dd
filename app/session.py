"""The session cookie: the SMS line's small conversation state, signed, dated, in a compact form.

Flask's default cookie (itsdangerous, tagged JSON, a timestamp, a key derived on every signature)
costs about 55 us a text; this one costs a fraction of that for the same guarantees: a cookie
that was not made with SECRET_KEY, or was made more than LIFETIME ago, is ignored. It holds only
which list or part comes next, and when it was written.

The try-it panel (/try/...) gets a cookie of its own name, signed with a key of its own: a cookie
the panel mints for anyone who asks can never be replayed as a patient's conversation on /sms,
nor the other way round.
"""

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from datetime import timedelta

from flask import Flask, Request, Response
from flask.sessions import SecureCookieSession, SessionInterface

LIFETIME = timedelta(hours=4)  # as long as Twilio keeps a cookie for one sender
TRY_IT_PATH = "/try/"  # the web panel that answers typed texts exactly as /sms does
ISSUED = "t"  # the field holding the cookie's issue time, in whole seconds since the epoch
CLOCK_SKEW = 60  # seconds a cookie may seem to come from the future (clocks of several machines)


@dataclass(frozen=True)
class Purpose:
    """One kind of cookie: its name and its own signing key."""

    name: str
    key: bytes


class StateSession(SecureCookieSession):
    """The state, and which kind of cookie it is saved as."""

    def __init__(self, purpose: Purpose, data: dict | None = None):
        super().__init__(data or {})
        self.purpose = purpose


class SignedStateSession(SessionInterface):
    """Sessions as base64(JSON) + "." + HMAC-SHA256, with the keys derived once from SECRET_KEY."""

    def __init__(self, secret_key: str, cookie_name: str = "session"):
        def derive(label: bytes) -> bytes:
            return hmac.new(secret_key.encode(), b"second-opinion-line " + label, hashlib.sha256).digest()

        self.sms = Purpose(cookie_name, derive(b"session"))
        self.try_it = Purpose(f"{cookie_name}_try", derive(b"try-it session"))

    def purpose(self, request: Request) -> Purpose:
        """The try-it panel's own cookie under /try/, the SMS conversation's everywhere else."""
        return self.try_it if request.path.startswith(TRY_IT_PATH) else self.sms

    @staticmethod
    def signature(key: bytes, payload: bytes) -> bytes:
        """The cookie's signature, URL-safe."""
        return base64.urlsafe_b64encode(hmac.new(key, payload, hashlib.sha256).digest()).rstrip(b"=")

    def encode(self, purpose: Purpose, state: dict, issued: float | None = None) -> str:
        """The cookie's value for this state, dated now (or at `issued`)."""
        data = {**state, ISSUED: int(time.time() if issued is None else issued)}
        payload = base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).rstrip(b"=")
        return (payload + b"." + self.signature(purpose.key, payload)).decode()

    def decode(self, purpose: Purpose, raw: bytes) -> dict | None:
        """The state in a cookie of this kind that we signed within LIFETIME; None for anything else."""
        payload, _, signature = raw.rpartition(b".")
        if not payload or not hmac.compare_digest(signature, self.signature(purpose.key, payload)):
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(payload + b"=" * (-len(payload) % 4)))
        except ValueError:
            return None
        if not isinstance(data, dict):
            return None
        issued = data.pop(ISSUED, None)
        age = time.time() - issued if isinstance(issued, int) else None
        if age is None or not -CLOCK_SKEW <= age <= LIFETIME.total_seconds():
            return None  # undated, expired, or from the future
        return data

    def open_session(self, app: Flask, request: Request) -> StateSession:
        """The state from a cookie this app signed; an empty session for a missing, stale or forged one."""
        purpose = self.purpose(request)
        raw = request.cookies.get(purpose.name, "").encode("latin-1", "replace")
        return StateSession(purpose, self.decode(purpose, raw) if raw else None)

    def save_session(self, app: Flask, session: StateSession, response: Response) -> None:
        """Write the cookie only when the state changed; clear it when the state is empty."""
        if not session.modified:
            return
        name, domain, path = session.purpose.name, self.get_cookie_domain(app), self.get_cookie_path(app)
        secure, samesite = self.get_cookie_secure(app), self.get_cookie_samesite(app)
        if not session:
            response.delete_cookie(
                name, domain=domain, path=path, secure=secure, httponly=self.get_cookie_httponly(app), samesite=samesite
            )
            return
        response.set_cookie(
            name, self.encode(session.purpose, dict(session)), max_age=LIFETIME, domain=domain, path=path,
            secure=secure, httponly=self.get_cookie_httponly(app), samesite=samesite,
        )


def init_app(app: Flask) -> None:
    """Use the compact signed session for every request."""
    app.session_interface = SignedStateSession(app.config["SECRET_KEY"], app.config["SESSION_COOKIE_NAME"])
