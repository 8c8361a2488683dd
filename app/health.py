"""GET /healthz for load balancers: no authentication, no work."""

from flask import Blueprint, Flask

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """Answer 200 while the app is up (it only starts with good content)."""
    return {"status": "ok"}


def init_app(app: Flask) -> None:
    """Register the health check."""
    app.register_blueprint(bp)
