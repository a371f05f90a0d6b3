"""Browser-facing protections: CSRF on every form, security headers on every response."""

from __future__ import annotations

import secrets
from collections.abc import Callable

from flask import Flask, Response, abort, g, request
from flask_wtf.csrf import CSRFProtect

from tenantry.settings import Settings

csrf = CSRFProtect()
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
SESSION_COOKIE = "tenantry_session"


def csp_nonce() -> str:
    """One nonce per response, for the few inline scripts the admin needs."""
    if "_csp_nonce" not in g:
        g._csp_nonce = secrets.token_urlsafe(16)
    return g._csp_nonce


def init_app(app: Flask) -> None:
    csrf.init_app(app)
    app.jinja_env.globals["csp_nonce"] = csp_nonce


def protect_forms() -> None:
    """before_request: every unsafe request carries the session's CSRF token.

    Browsers cannot attach an Authorization header cross-site without CORS, so
    token-authenticated API calls need no CSRF token. An API call with no session
    cookie has no authority to forge either: it goes on, to be answered 401 like
    any unauthenticated call. Everything else needs the token.
    """
    if request.method not in UNSAFE_METHODS or request.headers.get("Authorization"):
        return
    if "/api/" in request.path and SESSION_COOKIE not in request.cookies:
        return
    csrf.protect()


def static_headers(settings: Settings) -> list[tuple[str, str]]:
    """The security headers that are the same on every response (all but the CSP)."""
    headers = [
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "strict-origin-when-cross-origin"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
    ]
    if settings.secure_cookies:
        headers.append(("Strict-Transport-Security", "max-age=63072000; includeSubDomains"))
    return headers


def response_headers(settings: Settings) -> Callable[[Response], Response]:
    """The after_request hook that puts the security headers on every response."""
    always = static_headers(settings)

    def add_headers(response: Response) -> Response:
        # Appended, not set: no view sets these, and Headers.setdefault scans the list
        # once per call, which measurably costs on every request.
        nonce = g.get("_csp_nonce")
        response.headers.extend(
            [
                ("Content-Security-Policy", CSP_WITH_NONCE.format(nonce) if nonce else CSP),
                *always,
            ]
        )
        return response

    return add_headers


CSP_TEMPLATE = (
    "default-src 'self'; script-src {}; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
CSP = CSP_TEMPLATE.format("'self'")
CSP_WITH_NONCE = CSP_TEMPLATE.replace("{}", "'self' 'nonce-{}'")


def refuse_nul_characters() -> None:
    """before_request: no text column can hold NUL on PostgreSQL, so refuse it with a clear
    400 up front rather than fail deep in a query with a 500. Searches the raw bytes:
    parsing every query string and body just to look would cost each request more."""
    found = b"%00" in request.query_string
    if not found and request.method in UNSAFE_METHODS:
        mimetype = request.mimetype
        if mimetype == "application/x-www-form-urlencoded":
            data = request.get_data(cache=True)
            found = b"%00" in data or b"\x00" in data
        elif mimetype == "application/json":
            found = b"\\u0000" in request.get_data(cache=True)
    if found:
        abort(400, description="The request contains a NUL character, which no field accepts.")
