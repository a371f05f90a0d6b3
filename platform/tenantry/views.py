"""The core's own pages: the root host's landing page and each tenant's home."""

from __future__ import annotations

from flask import Blueprint, Flask, render_template

from tenantry.plugins.runtime import runtime
from tenantry.tenancy.context import get_tenant

bp = Blueprint("core", __name__)


@bp.get("/")
def index():
    if get_tenant() is None:
        registry = runtime().registry
        return render_template("landing.html", plugins=list(registry), refused=registry.refused)
    return render_template("tenant_home.html")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
