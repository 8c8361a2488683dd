"""`python -m app [gunicorn's arguments]`: the Procfile's gunicorn, after refusing bad worker settings in one line.

gunicorn reads WEB_CONCURRENCY with int() while it is being imported, before any configuration
file runs: a value such as "abc" would end in its traceback instead of one line naming the setting.
"""

import os
import sys

from app.config import serving
from app.errors import StartupError


def main() -> None:
    """Check the worker settings, then hand the command line to gunicorn."""
    try:
        serving(os.environ)
    except StartupError as error:
        sys.exit(f"Error: {error.message}")
    from gunicorn.app.wsgiapp import run

    sys.argv[0] = "gunicorn"
    sys.exit(run())


if __name__ == "__main__":
    main()
