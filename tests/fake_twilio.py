"""A local stand-in for Twilio's REST API: a real HTTP server answering as api.twilio.com does.

It speaks the parts the line uses: Messages (create), Calls (fetch) and IncomingPhoneNumbers (list by
PhoneNumber, fetch, update), with Basic authentication and Twilio's own error bodies.
"""

import base64
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from support import TOKEN

ACCOUNT_SID = "AC" + "1" * 32
API_KEY, API_SECRET = "SK" + "2" * 32, "test-api-secret-0123456789abcdef"
LANDLINE = "+441632960001"  # answered with 21614: not a mobile number
SLOW = "+441632960002"  # answered after the app has stopped waiting
BROKEN = "+441632960003"  # answered with a 500
PREFIX = f"/2010-04-01/Accounts/{ACCOUNT_SID}"

# The IncomingPhoneNumber fields the line reads and writes, as Twilio names them in JSON and in forms.
NUMBER_FIELDS = {
    "sms_url": "SmsUrl",
    "sms_method": "SmsMethod",
    "sms_fallback_url": "SmsFallbackUrl",
    "sms_fallback_method": "SmsFallbackMethod",
    "sms_application_sid": "SmsApplicationSid",
    "voice_url": "VoiceUrl",
    "voice_method": "VoiceMethod",
    "voice_fallback_url": "VoiceFallbackUrl",
    "voice_fallback_method": "VoiceFallbackMethod",
    "voice_application_sid": "VoiceApplicationSid",
    "status_callback": "StatusCallback",
    "status_callback_method": "StatusCallbackMethod",
    "trunk_sid": "TrunkSid",
    "friendly_name": "FriendlyName",
}

# Twilio's error bodies, as its API sends them.
AUTHENTICATE = {
    "code": 20003,
    "detail": "Your AccountSid or AuthToken was incorrect.",
    "message": "Authenticate",
    "more_info": "https://www.twilio.com/docs/errors/20003",
    "status": 401,
}


def not_found(path: str) -> dict:
    """Twilio's 20404 body for a resource that does not exist."""
    return {
        "code": 20404,
        "message": f"The requested resource {path} was not found",
        "more_info": "https://www.twilio.com/docs/errors/20404",
        "status": 404,
    }


def new_sid(prefix: str) -> str:
    """A fresh SID of the given kind (CA, PN...)."""
    return prefix + uuid.uuid4().hex


class TwilioApi:
    """Runs the stand-in on a free local port.

    `received` holds each message posted; `calls` and `numbers` are the account's resources by SID;
    `requests` logs every (method, path) it answered, so a test can see that nothing was updated.
    `failures` maps a (method, resource kind) such as ("GET", "Calls") to an error (status, body) to answer
    with instead, and `slow` holds resource kinds answered after `delay` seconds.
    """

    def __init__(self, delay: float = 3.0):
        self.received: list[dict] = []
        self.calls: dict[str, dict] = {}
        self.numbers: dict[str, dict] = {}
        self.released: set[str] = set()  # numbers listed but gone by the time they are fetched or updated
        self.requests: list[tuple[str, str]] = []
        self.failures: dict[tuple[str, str], tuple[int, dict]] = {}
        self.slow: set[str] = set()
        self.delay = delay
        self.credentials = {ACCOUNT_SID: TOKEN, API_KEY: API_SECRET}
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                api.handle(self, "GET", {})

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                form = {name: values[0] for name, values in parse_qs(self.rfile.read(length).decode()).items()}
                api.handle(self, "POST", form)

            def log_message(self, *args):  # keep test output quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        # serve_forever polls for shutdown every 0.5 s by default, and each test's teardown waited for it.
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)
        self.thread.start()

    # The account's resources, as a test sets them up.

    def start_call(self, caller: str, line: str, status: str = "in-progress") -> str:
        """A call from `caller` to `line` that Twilio knows about; returns its CallSid."""
        sid = new_sid("CA")
        self.calls[sid] = {
            "sid": sid,
            "account_sid": ACCOUNT_SID,
            "from": caller,
            "to": line,
            "status": status,
            "direction": "inbound",
            "api_version": "2010-04-01",
            "uri": f"{PREFIX}/Calls/{sid}.json",
        }
        return sid

    def add_number(self, phone_number: str, **fields) -> str:
        """A number in the account, with the given configuration (Twilio's defaults otherwise); returns its SID."""
        sid = new_sid("PN")
        self.numbers[sid] = {
            "sid": sid,
            "account_sid": ACCOUNT_SID,
            "phone_number": phone_number,
            "friendly_name": phone_number,
            "sms_url": "",
            "sms_method": "POST",
            "sms_fallback_url": "",
            "sms_fallback_method": "POST",
            "sms_application_sid": "",
            "voice_url": "",
            "voice_method": "POST",
            "voice_fallback_url": "",
            "voice_fallback_method": "POST",
            "voice_application_sid": "",
            "status_callback": "",
            "status_callback_method": "POST",
            "trunk_sid": None,
            "api_version": "2010-04-01",
            "capabilities": {"voice": True, "sms": True, "mms": False, "fax": False},
            "uri": f"{PREFIX}/IncomingPhoneNumbers/{sid}.json",
            **fields,
        }
        return sid

    def updates(self) -> list[str]:
        """The paths of every update posted to a number."""
        return [path for method, path in self.requests if method == "POST" and "/IncomingPhoneNumbers/" in path]

    # Answering.

    def handle(self, handler: BaseHTTPRequestHandler, method: str, form: dict) -> None:
        """Route one request as api.twilio.com would."""
        parts = urlsplit(handler.path)
        path, query = parts.path, {name: values[0] for name, values in parse_qs(parts.query).items()}
        self.requests.append((method, path))
        if not self.authenticated(handler.headers.get("Authorization", "")):
            return self.answer(handler, 401, AUTHENTICATE)
        if not path.startswith(PREFIX + "/") or not path.endswith(".json"):
            return self.answer(handler, 404, not_found(path))
        segments = path[len(PREFIX) + 1 : -len(".json")].split("/")
        kind = segments[0]
        if (method, kind) in self.failures:
            status, body = self.failures[(method, kind)]
            return self.answer(handler, status, body)
        if kind in self.slow:
            time.sleep(self.delay)
        if segments == ["Messages"] and method == "POST":
            return self.message(handler, form)
        if kind == "Calls" and len(segments) == 2 and method == "GET" and segments[1] in self.calls:
            return self.answer(handler, 200, self.calls[segments[1]])
        if segments == ["IncomingPhoneNumbers"] and method == "GET":
            return self.list_numbers(handler, path, query)
        if kind == "IncomingPhoneNumbers" and len(segments) == 2:
            sid = segments[1]
            if sid not in self.numbers or sid in self.released:
                return self.answer(handler, 404, not_found(path))
            if method == "POST":
                self.update_number(sid, form)
            return self.answer(handler, 200, self.numbers[sid])
        return self.answer(handler, 404, not_found(path))

    def authenticated(self, header: str) -> bool:
        """Whether Basic auth names the account (or one of its API keys) with the right secret."""
        scheme, _, encoded = header.partition(" ")
        if scheme != "Basic":
            return False
        try:
            user, _, password = base64.b64decode(encoded).decode().partition(":")
        except ValueError:
            return False
        return self.credentials.get(user) == password

    def message(self, handler: BaseHTTPRequestHandler, form: dict) -> None:
        """Messages.json: record the message, or fail as Twilio does for some numbers."""
        self.received.append({**form, "auth": handler.headers.get("Authorization", "")})
        if form.get("To") == LANDLINE:
            return self.answer(
                handler,
                400,
                {
                    "code": 21614,
                    "message": f"'To' number {LANDLINE} is not a valid mobile number",
                    "more_info": "https://www.twilio.com/docs/errors/21614",
                    "status": 400,
                },
            )
        if form.get("To") == BROKEN:
            return self.answer(handler, 500, {"code": 20500, "message": "Internal Server Error", "status": 500})
        if form.get("To") == SLOW:
            time.sleep(self.delay)
        sid = "SM" + f"{len(self.received):032d}"
        self.answer(
            handler,
            201,
            {
                "sid": sid,
                "account_sid": ACCOUNT_SID,
                "to": form.get("To"),
                "from": form.get("From"),
                "body": form.get("Body"),
                "status": "queued",
                "num_segments": "1",
                "api_version": "2010-04-01",
                "uri": f"{PREFIX}/Messages/{sid}.json",
            },
        )

    def list_numbers(self, handler: BaseHTTPRequestHandler, path: str, query: dict) -> None:
        """IncomingPhoneNumbers.json?PhoneNumber=...: a page of the matching numbers (empty when none)."""
        wanted = query.get("PhoneNumber")
        found = [n for n in self.numbers.values() if wanted is None or n["phone_number"] == wanted]
        self.answer(
            handler,
            200,
            {
                "incoming_phone_numbers": found,
                "end": max(len(found) - 1, 0),
                "first_page_uri": f"{path}?PageSize=50&Page=0",
                "next_page_uri": None,
                "page": 0,
                "page_size": 50,
                "previous_page_uri": None,
                "start": 0,
                "uri": f"{path}?PageSize=50&Page=0",
            },
        )

    def update_number(self, sid: str, form: dict) -> None:
        """A POST to a number: the fields it names change, all at once."""
        by_form_name = {form_name: field for field, form_name in NUMBER_FIELDS.items()}
        for name, value in form.items():
            if name in by_form_name:
                self.numbers[sid][by_form_name[name]] = value

    def answer(self, handler: BaseHTTPRequestHandler, status: int, payload: dict) -> None:
        """Send a JSON answer; a client that gave up waiting is no error."""
        body = json.dumps(payload).encode()
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
        except OSError:  # the client gave up waiting (the timeout case)
            pass

    def close(self) -> None:
        """Stop the server."""
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


class MemoryLedger:
    """The "text me this" ledger of USAGE.md, in one process's memory, for tests where the real one is absent.

    The real ledger (branch `usage`, in the usage database) is shared by every worker and machine;
    this one only stands in for its interface: claim() is True the first time for a call and topic.
    """

    def __init__(self):
        self.claims: set[tuple[str, str]] = set()
        self.lock = threading.Lock()

    def claim(self, call_sid: str, topic: str) -> bool:
        """True the first time for this call and topic, False after."""
        with self.lock:
            if (call_sid, topic) in self.claims:
                return False
            self.claims.add((call_sid, topic))
            return True
