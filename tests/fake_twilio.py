"""A local stand-in for Twilio's Messages API: a real HTTP server answering as api.twilio.com does."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

ACCOUNT_SID = "AC" + "1" * 32
LANDLINE = "+441632960001"  # answered with 21614: not a mobile number
SLOW = "+441632960002"  # answered after the app has stopped waiting
BROKEN = "+441632960003"  # answered with a 500


class MessagesApi:
    """Runs the stand-in on a free local port; `received` holds each message posted to it."""

    def __init__(self, delay: float = 3.0):
        self.received: list[dict] = []
        self.delay = delay
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                form = {name: values[0] for name, values in parse_qs(self.rfile.read(length).decode()).items()}
                if self.path != f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json":
                    return self.answer(404, {"code": 20404, "message": "The requested resource was not found"})
                api.received.append({**form, "auth": self.headers.get("Authorization", "")})
                if form.get("To") == LANDLINE:
                    return self.answer(
                        400,
                        {
                            "code": 21614,
                            "message": f"'To' number {LANDLINE} is not a valid mobile number",
                            "more_info": "https://www.twilio.com/docs/errors/21614",
                            "status": 400,
                        },
                    )
                if form.get("To") == BROKEN:
                    return self.answer(500, {"code": 20500, "message": "Internal Server Error", "status": 500})
                if form.get("To") == SLOW:
                    time.sleep(api.delay)
                sid = "SM" + f"{len(api.received):032d}"
                self.answer(
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
                        "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}.json",
                    },
                )

            def answer(self, status: int, payload: dict) -> None:
                body = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:  # the client gave up waiting (the timeout case)
                    pass

            def log_message(self, *args):  # keep test output quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        """Stop the server."""
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()
