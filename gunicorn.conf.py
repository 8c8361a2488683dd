"""Gunicorn settings for the Procfile: production mode, content checked before forking, graceful stops."""

import os
import sys

from app.config import serving
from app.errors import StartupError

raw_env = ["LINE_ENV=production"]  # refuse development stand-ins for secrets (see app/config.py)
preload_app = True  # load and check content once, in the master: bad content stops a release from starting
try:
    _serving = serving(os.environ)
except StartupError as error:  # one line, as gunicorn prints the app's own refusals, instead of a traceback
    sys.exit(f"Error: {error.message}")
workers = _serving["WEB_CONCURRENCY"]
# Threads, so a few slow or stalled connections cannot hold every worker; app/serving.py's worker
# also gives each request a deadline for its headers and body that a dribbling client cannot stretch.
worker_class = "app.serving.LineWorker"
threads = _serving["WEB_THREADS"]
control_socket_disable = True  # no runtime control of the line through a socket file (gunicorn 25.1+)
timeout = 14  # a worker whose main loop stops is replaced before Twilio's 15-second limit
graceful_timeout = 10  # on SIGTERM, in-flight requests get this long to finish


def worker_exit(server, worker) -> None:
    """On a graceful stop, flush the worker's usage counts before it exits."""
    from app.usage.recorder import close_all

    close_all()
