"""Browser-facing protections: CSRF on every form, security headers on every response."""

from __future__ import annotations

import secrets

from flask import Flask, Response, abort, g, request
from flask_wtf.csrf import CSRFError, CSRFProtect

from tenantry.settings import Settings

csrf = CSRFProtect()


def csp_nonce() -> str:
    """One nonce per response, for the few inline scripts the admin needs."""
    if "_csp_nonce" not in g:
        g._csp_nonce = secrets.token_urlsafe(16)
    return g._csp_nonce


def init_app(app: Flask, settings: Settings) -> None:
    csrf.init_app(app)
    app.jinja_env.globals["csp_nonce"] = csp_nonce

    @app.errorhandler(CSRFError)
    def _csrf_failed(error: CSRFError):
        from tenantry.errors import render_error

        error.description = (
            "The form expired or came from another site. Reload the page and try again."
        )
        return render_error(error)

    @app.before_request
    def _refuse_nul_characters() -> None:
        # No text column can hold NUL on PostgreSQL: refuse it here with a clear 400
        # rather than fail deep in a query with a 500.
        if (
            any("\x00" in value for value in request.args.values())
            or (request.form and any("\x00" in value for value in request.form.values()))
            or (request.is_json and b"\\u0000" in request.get_data())
        ):
            abort(400, description="The request contains a NUL character, which no field accepts.")

    @app.after_request
    def _headers(response: Response) -> Response:
        headers = response.headers
        nonce = g.get("_csp_nonce")
        script = f"'self' 'nonce-{nonce}'" if nonce else "'self'"
        headers.setdefault(
            "Content-Security-Policy",
            f"default-src 'self'; script-src {script}; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; font-src 'self' data:; object-src 'none'; "
            "base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
        )
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if settings.secure_cookies:
            headers.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
        return response
