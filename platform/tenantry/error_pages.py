"""Error pages: the base layout for browsers, JSON for API clients, never a traceback."""

from __future__ import annotations

import logging

from flask import Flask, render_template, request
from flask.globals import request_ctx
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

from tenantry.tenancy.errors import NoTenantError, TenantViolation

log = logging.getLogger(__name__)


def wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" or "/api/" in request.path


def render_error(error: HTTPException):
    code = error.code or 500
    if wants_json():
        return {"error": error.name, "message": error.description, "status": code}, code
    if request_ctx.url_adapter is None:
        # The Host was refused before routing: no URLs can be built, so no layout.
        return render_template("error_bare.html", error=error, code=code), code
    return render_template("error.html", error=error, code=code), code


def _unhandled(error: Exception):
    if isinstance(error, HTTPException):
        return render_error(error)
    if isinstance(error, OperationalError):  # unreachable, locked past the timeout, unmigrated
        log.error("database unavailable on %s %s: %s", request.method, request.path, error.orig)
        return render_error(
            ServiceUnavailable(description="The database is unavailable. Try again shortly.")
        )
    if isinstance(error, NoTenantError | TenantViolation):
        log.error("tenant isolation stopped a request: %s", error)
    else:
        log.exception("unhandled error on %s %s", request.method, request.path)
    return render_error(
        InternalServerError(description="Something went wrong on our side. It has been logged.")
    )


def _csrf_failed(error: CSRFError):
    error.description = "The form expired or came from another site. Reload the page and try again."
    return render_error(error)


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, _csrf_failed)
    app.register_error_handler(HTTPException, render_error)
    app.register_error_handler(Exception, _unhandled)
