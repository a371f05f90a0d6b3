"""Browser-facing protections: CSRF on every form, security headers on every response."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, abort, g, request, session
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
        if _for_an_account() and not (request.endpoint or "").endswith("static"):
            # One person's page: no shared cache may keep it, no browser may store it.
            response.headers["Cache-Control"] = "private, no-store"
        return response

    return add_headers


def _for_an_account() -> bool:
    """Whether the request came with a logged-in session or a token. The loaded user when
    the view loaded it (Flask-Login keeps it in ``g._login_user``); otherwise what the
    request carries, so that a probe or a static file never loads an account for this."""
    user = g.get("_login_user")
    if user is not None:
        return bool(user.is_authenticated)
    return "Authorization" in request.headers or "_user_id" in session


CSP_TEMPLATE = (
    "default-src 'self'; script-src {}; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
CSP = CSP_TEMPLATE.format("'self'")
CSP_WITH_NONCE = CSP_TEMPLATE.replace("{}", "'self' 'nonce-{}'")


def refuse_nul_characters() -> None:
    """before_request: no text column can hold NUL on PostgreSQL, so refuse it with a clear
    400 up front rather than fail deep in a query with a 500 (SQLite would store it).

    Every way a text reaches a view is covered: the query string, urlencoded and
    multipart forms, JSON of any ``application/*+json`` type and encoding, and text
    bodies. The raw bytes are searched where that is exact, so most requests parse
    nothing they would not parse anyway; a parsed form or JSON body is cached for the view.
    """
    found = b"%00" in request.query_string
    if not found and request.method in UNSAFE_METHODS:
        found = _body_has_nul()
    if found:
        abort(400, description="The request contains a NUL character, which no field accepts.")


def _body_has_nul() -> bool:
    mimetype = request.mimetype
    if mimetype == "application/x-www-form-urlencoded":
        data = request.get_data(cache=True)
        return b"%00" in data or b"\x00" in data
    if mimetype == "multipart/form-data":  # parts may be encoded: look at the parsed fields
        if None in request.form:  # a part without a name, which no form (CSRF's either) reads
            abort(400, description="The form has a part without a name.")
        texts = [text for name, values in request.form.lists() for text in (name, *values)]
        texts += [upload.filename or "" for upload in request.files.values()]
        return any("\x00" in text for text in texts)
    if request.is_json:
        data = request.get_data(cache=True)
        if b"\x00" not in data and b"\\u0000" not in data:
            return False  # UTF-8 JSON that escapes no NUL: the common case, decided by a scan
        return _holds_nul(request.get_json(silent=True))  # UTF-16/32, or a likely escape
    if mimetype.startswith("text/"):
        return b"\x00" in request.get_data(cache=True)
    return False  # a binary body: no view stores it as text


def _holds_nul(document: Any) -> bool:
    """Whether any string (key or value) in parsed JSON holds NUL; without recursion."""
    pending = [document]
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return True
        elif isinstance(value, dict):
            pending.extend(value.keys())
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return False
