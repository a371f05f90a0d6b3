"""The core's own pages: the root host's landing page, each tenant's home, and its API
description (``/api/openapi.json``) with a readable reference (``/api/``)."""

from __future__ import annotations

from flask import Blueprint, Flask, abort, render_template

from tenantry import openapi
from tenantry.plugins.runtime import runtime
from tenantry.tenancy.context import get_tenant

bp = Blueprint("core", __name__)


@bp.get("/")
def index():
    if get_tenant() is None:
        registry = runtime().registry
        return render_template("landing.html", plugins=list(registry), refused=registry.refused)
    return render_template("tenant_home.html")


def _tenant_only() -> None:
    if get_tenant() is None:
        abort(404, description="The JSON API belongs to each tenant's site, not the platform.")


@bp.get("/api/openapi.json")
def openapi_document():
    """Public on purpose: it tells what the site's API accepts, nothing about its data."""
    _tenant_only()
    return openapi.build()


@bp.get("/api/")
def api_reference():
    _tenant_only()
    document = openapi.build()
    return render_template(
        "api.html",
        document=document,
        components=document["components"]["schemas"],
        fields=openapi.fields,
        type_text=openapi.type_text,
    )


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
