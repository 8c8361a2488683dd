"""The one error type for anything that stops the line from starting."""

import click


class StartupError(click.ClickException, RuntimeError):
    """Bad content or settings: shown as one clear line, never a traceback.

    click prints it as "Error: ..." for the flask commands, and gunicorn prints any
    RuntimeError raised while loading the app the same way, then exits.
    """
