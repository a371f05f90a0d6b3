"""Error pages: the base layout for browsers, JSON for API clients, never a traceback.

A Host with no usable site (unknown, deleted, suspended) gets a page of its own
that points at the platform's root host: any link to this host's pages would
answer with the same error.
"""

from __future__ import annotations

import logging
from contextlib import suppress

from flask import Flask, current_app, render_template, request
from flask.globals import request_ctx
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from werkzeug.exceptions import (
    Conflict,
    HTTPException,
    InternalServerError,
    ServiceUnavailable,
    default_exceptions,
)

from tenantry.db import db
from tenantry.errors import Refused, ValidationFailed
from tenantry.jsonapi import Invalid, error_body
from tenantry.tenancy.errors import (
    NoSiteHere,
    NoTenantError,
    RowSecurityUnavailable,
    SiteSuspended,
    TenantViolation,
)

log = logging.getLogger(__name__)


def wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" or "/api/" in request.path


def platform_url() -> str:
    """The platform's root host, where a visitor of a missing site can go on."""
    settings = current_app.extensions["tenantry.settings"]
    return f"{request.scheme}://{settings.server_name}/"


#: How an HTML error page names an error, in the request's language (JSON keeps Werkzeug's
#: English names: clients match on them).
TITLES = {
    400: _l("Bad Request"),
    401: _l("Unauthorized"),
    403: _l("Forbidden"),
    404: _l("Not Found"),
    405: _l("Method Not Allowed"),
    410: _l("Gone"),
    413: _l("Request Entity Too Large"),
    429: _l("Too Many Requests"),
    500: _l("Internal Server Error"),
    503: _l("Service Unavailable"),
}
#: Werkzeug's own descriptions, said in the request's language on HTML pages.
DESCRIPTIONS = {
    400: _l("The browser sent a request this server could not understand."),
    401: _l("Log in to see this page."),
    403: _l("You do not have the permission to see this page."),
    404: _l("There is nothing at this address. Check it for a typing mistake."),
    405: _l("This page does not take that kind of request."),
    413: _l("What was sent is too large."),
    429: _l("Too many requests. Wait a moment and try again."),
    500: _l("Something went wrong on our side. It has been logged."),
    503: _l("The service is unavailable. Try again shortly."),
}


def _for_people(error: HTTPException, code: int) -> dict[str, str]:
    """What an HTML page calls ``error`` and says of it, in the request's language
    (Werkzeug's own description replaced; a view's own, already translated, kept)."""
    description = error.description or ""
    werkzeugs = getattr(default_exceptions.get(code), "description", None)
    if description == werkzeugs and code in DESCRIPTIONS:
        description = str(DESCRIPTIONS[code])
    return {"title": str(TITLES.get(code, error.name)), "description": str(description)}


def render_error(error: HTTPException):
    code = error.code or 500
    # The exception's own headers stay (405's Allow, 401's WWW-Authenticate...).
    headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
    if wants_json():
        errors = error.errors if isinstance(error, Invalid) else None
        return error_body(error.name, error.description or "", code, errors), code, headers
    said = _for_people(error, code)
    if request_ctx.url_adapter is None:
        # The Host was refused before routing: no URLs can be built, so no layout.
        return render_template("error_bare.html", code=code, **said), code, headers
    if isinstance(error, NoSiteHere | SiteSuspended):
        page = render_template("error_site.html", code=code, platform=platform_url(), **said)
        return page, code, headers
    return render_template("error.html", code=code, **said), code, headers


def _unhandled(error: Exception):
    if isinstance(error, HTTPException):
        return render_error(error)
    with suppress(SQLAlchemyError):  # a connection that is gone has nothing to roll back
        db.rollback()  # whatever failed wrote nothing, and the page can query again
    if isinstance(error, OperationalError | RowSecurityUnavailable):
        # Unreachable, locked past the timeout, unmigrated.
        reason = error.orig if isinstance(error, OperationalError) else error
        log.error("database unavailable on %s %s: %s", request.method, request.path, reason)
        return render_error(
            ServiceUnavailable(
                description=gettext("The database is unavailable. Try again shortly.")
            )
        )
    if isinstance(error, ValidationFailed) and wants_json():
        return render_error(Invalid(error.errors))
    if isinstance(error, Refused) and wants_json():
        return render_error(Conflict(description=str(error)))
    if isinstance(error, NoTenantError | TenantViolation):
        log.error("tenant isolation stopped a request: %s", error)
    else:
        log.exception("unhandled error on %s %s", request.method, request.path)
    return render_error(
        InternalServerError(
            description=gettext("Something went wrong on our side. It has been logged.")
        )
    )


def _csrf_failed(error: CSRFError):
    error.description = gettext(
        "The form expired or came from another site. Reload the page and try again."
    )
    return render_error(error)


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, _csrf_failed)
    app.register_error_handler(HTTPException, render_error)
    app.register_error_handler(Exception, _unhandled)
