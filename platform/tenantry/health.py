"""Liveness and readiness probes, answered on any accepted host without login."""

from __future__ import annotations

from flask import Blueprint, Flask, current_app
from sqlalchemy import text

from tenantry.db import db
from tenantry.migrate import current_heads

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    return {"status": "ok"}


@bp.get("/readyz")
def readyz():
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        current = current_heads(db.engine)
    except Exception as error:
        return {"status": "unavailable", "database": f"unreachable: {type(error).__name__}"}, 503
    expected = current_app.extensions["tenantry.heads"]
    if current != expected:
        return {
            "status": "unavailable",
            "database": "ok",
            "migrations": {"current": sorted(current), "expected": sorted(expected)},
            "hint": "run `tenantry db upgrade`",
        }, 503
    return {"status": "ok", "database": "ok", "migrations": "at head"}


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
