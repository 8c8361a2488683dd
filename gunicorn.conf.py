"""Gunicorn settings for the Procfile: production mode, content checked before forking, graceful stops."""

import gc
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
# Each request is read whole by the worker's main loop before the app runs, so slow or stalled
# connections hold no worker, and each has a deadline a dribbling client cannot stretch (app/serving.py).
worker_class = "app.serving.LineWorker"
threads = _serving["WEB_THREADS"]
control_socket_disable = True  # no runtime control of the line through a socket file (gunicorn 25.1+)
timeout = 14  # a worker whose main loop stops is replaced before Twilio's 15-second limit
graceful_timeout = 10  # on SIGTERM, in-flight requests get this long to finish


def pre_fork(server, worker) -> None:
    """Put what the master loaded (content, the trained model) beyond the garbage collector before each fork.

    A full collection otherwise walks all of it in every worker, now and then: 60 to 100 ms in which
    nothing is answered (the p99 of bench/run.py fell from about 110 ms to 21 ms), and pages the
    workers would share are copied as it marks them.
    """
    gc.freeze()


def worker_exit(server, worker) -> None:
    """On a graceful stop, flush the worker's usage counts before it exits."""
    from app.usage.recorder import close_all

    close_all()
