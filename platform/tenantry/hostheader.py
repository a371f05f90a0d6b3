"""The host a request is judged by: its Host header in lower case, or, when the request line
carries an absolute URI, that URI's host (RFC 9112, 3.2.2: the request-target wins).

Hostnames are case-insensitive, yet the trusted-hosts check compares them as
written, so ``ACME.LOCALHOST`` was refused. And a request line
``GET http://bravo.example/ HTTP/1.1`` sent with ``Host: acme.example`` must
not be answered for acme: a proxy in front routes by the request-target.
A WSGI middleware, below Flask, so every check sees the one host.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from werkzeug.exceptions import BadRequest

ABSOLUTE = ("http://", "https://")


class HostHeader:
    def __init__(self, app: Callable[..., Iterable[bytes]]):
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        target = environ.get("REQUEST_URI") or environ.get("RAW_URI") or ""
        if target[:8].lower().startswith(ABSOLUTE):
            authority = urlsplit(target).netloc
            if not authority or "@" in authority:
                refusal = BadRequest("The request target must name a host, and only a host.")
                return refusal(environ, start_response)
            environ["HTTP_HOST"] = authority
        host = environ.get("HTTP_HOST")
        if host:
            environ["HTTP_HOST"] = host.lower()
        return self.app(environ, start_response)
