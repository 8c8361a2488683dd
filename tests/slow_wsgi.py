"""A WSGI app for tests/test_serving.py whose one answer is slow enough to be caught in flight."""

import os
import time
from pathlib import Path

SECONDS = 1.5
BODY = b"finished after a slow answer\n" * 100  # long enough that a cut-off answer would show


def app(environ, start_response):
    """Mark the request as started (the test waits for the mark), sleep, then answer 200."""
    Path(os.environ["SLOW_WSGI_STARTED"]).touch()
    time.sleep(SECONDS)
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(BODY)))])
    return [BODY]
