"""Test clients bound to one host, and logging in through the real form, CSRF token included;
``WireClient`` does the same over real sockets.

Tenants are told apart by the Host header, so a client that forgot it would
talk to the root host and prove nothing about the tenant it meant.
"""

from __future__ import annotations

import http.client
import re
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlencode

from flask import Flask
from flask.testing import FlaskClient

from tenantry.testing.apps import ROOT

CSRF = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"'
)


def host_of(tenant: Any) -> str:
    """The host of a tenant (anything with a ``slug``) under the test root host."""
    return f"{tenant.slug}.{ROOT}"


class HostClient(FlaskClient):
    """A test client that sends every request to one Host (a tenant's or the root), with
    ``prefix`` before every path it is given and ``headers`` on every request."""

    def __init__(
        self,
        *args: Any,
        host: str = ROOT,
        prefix: str = "",
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.host = host
        self.prefix = prefix
        self.headers = headers or {}

    def open(self, *args: Any, **kwargs: Any) -> Any:
        if not (args and not isinstance(args[0], str)):
            kwargs.setdefault("base_url", f"http://{self.host}")
            if self.prefix and args and args[0].startswith("/"):
                args = (self.prefix + args[0], *args[1:])
        if self.headers:
            kwargs["headers"] = {**self.headers, **dict(kwargs.get("headers") or {})}
        return super().open(*args, **kwargs)

    def session_transaction(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("base_url", f"http://{self.host}")
        return super().session_transaction(*args, **kwargs)


def client_for(app: Flask, host: str) -> HostClient:
    """A client of ``app`` whose requests carry ``host``, with cookies like a browser."""
    return HostClient(app, app.response_class, use_cookies=True, host=host)


#: The settings under which ``client_via`` names a tenant each way (the test client's
#: address, 127.0.0.1, is the trusted proxy the header strategy needs).
STRATEGY_SETTINGS: dict[str, dict[str, Any]] = {
    "host": {},
    "header": {"tenant_resolvers": ["header", "host"], "trusted_proxy_addresses": ["127.0.0.1"]},
    "path": {"tenant_resolvers": ["path", "host"]},
}


def client_via(app: Flask, slug: str, strategy: str) -> HostClient:
    """A client of ``app`` that names the tenant ``slug`` the way ``strategy`` reads it:
    its subdomain (host), an ``X-Tenant`` header to the root host (header), or paths under
    ``/t/<slug>`` on the root host (path). ``app`` runs with ``STRATEGY_SETTINGS[strategy]``."""
    if strategy == "host":
        return client_for(app, f"{slug}.{ROOT}")
    if strategy == "header":
        header = app.extensions["tenantry.settings"].tenant_header
        return HostClient(app, app.response_class, use_cookies=True, headers={header: slug})
    if strategy == "path":
        return HostClient(app, app.response_class, use_cookies=True, prefix=f"/t/{slug}")
    raise ValueError(f"no client for strategy {strategy!r}: use host, header or path")


def csrf_token(client: FlaskClient, path: str) -> str:
    """The CSRF token of the form at ``path``, as a browser would read it."""
    page = client.get(path).get_data(as_text=True)
    match = CSRF.search(page)
    assert match, f"no CSRF token in the form at {path}"
    return match.group(1) or match.group(2)


def do_login(client: FlaskClient, credentials: tuple[str, str]) -> Any:
    """Log in through the real form: ``do_login(client, (email, password))``."""
    email, password = credentials
    token = csrf_token(client, "/login")
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


def assert_isolated(body: str, foreign_markers: list[str]) -> None:
    """Fail when a page shows any marker that belongs to another tenant's rows."""
    leaked = [marker for marker in foreign_markers if marker in body]
    assert not leaked, f"another tenant's data leaked into the response: {leaked}"


class WireClient:
    """A browser-like client over real sockets: one Host, its cookies, a source address.

    For servers in other threads or processes and through real proxies, where the
    Flask test client cannot go. ``source`` picks the loopback address it connects
    from (127.0.0.2, 127.0.0.3...), so two clients look like two machines to a proxy.
    Each request opens its own connection: a proxy cannot pin it to one backend.
    """

    def __init__(self, port: int, host: str, source: str = "127.0.0.1", timeout: float = 10.0):
        self.port = port
        self.host = host
        self.source = source
        self.timeout = timeout
        self.cookies: dict[str, str] = {}

    def request(
        self,
        method: str,
        path: str,
        form: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        port: int | None = None,
    ) -> tuple[int, dict[str, str], str]:
        """(status, headers with lower-case names, body); ``port`` overrides the client's."""
        connection = http.client.HTTPConnection(
            "127.0.0.1", port or self.port, timeout=self.timeout, source_address=(self.source, 0)
        )
        sent = {"Host": self.host, **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            text = response.read().decode(errors="replace")
        finally:
            connection.close()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                cookie = SimpleCookie(value)
                for key, morsel in cookie.items():
                    self.cookies[key] = morsel.value
        return response.status, {k.lower(): v for k, v in response.getheaders()}, text

    def get(self, path: str, **kwargs: Any) -> tuple[int, dict[str, str], str]:
        return self.request("GET", path, **kwargs)

    def login(self, credentials: tuple[str, str], port: int | None = None) -> int:
        """Log in through the real form (CSRF token included); the response's status."""
        status, _headers, page = self.get("/login", port=port)
        assert status == 200, (status, page[:300])
        match = CSRF.search(page)
        assert match, "no CSRF token in the login form"
        email, password = credentials
        form = {
            "email": email,
            "password": password,
            "csrf_token": match.group(1) or match.group(2),
        }
        return self.request("POST", "/login", form=form, port=port)[0]
