"""Gunicorn settings for the Procfile: production mode, content checked before forking, graceful stops."""

import os

raw_env = ["LINE_ENV=production"]  # refuse development stand-ins for secrets (see app/config.py)
preload_app = True  # load and check content once, in the master: bad content stops a release from starting
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
timeout = 14  # a stuck worker is replaced before Twilio's 15-second limit
graceful_timeout = 10  # on SIGTERM, in-flight requests get this long to finish


def worker_exit(server, worker) -> None:
    """On a graceful stop, flush the worker's usage counts before it exits."""
    from app.usage.recorder import close_all

    close_all()
