"""Test clients bound to one host, and logging in through the real form, CSRF token included.

Tenants are told apart by the Host header, so a client that forgot it would
talk to the root host and prove nothing about the tenant it meant.
"""

from __future__ import annotations

import re
from typing import Any

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
    """A test client that sends every request to one Host (a tenant's or the root)."""

    def __init__(self, *args: Any, host: str = ROOT, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.host = host

    def open(self, *args: Any, **kwargs: Any) -> Any:
        if not (args and not isinstance(args[0], str)):
            kwargs.setdefault("base_url", f"http://{self.host}")
        return super().open(*args, **kwargs)

    def session_transaction(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("base_url", f"http://{self.host}")
        return super().session_transaction(*args, **kwargs)


def client_for(app: Flask, host: str) -> HostClient:
    """A client of ``app`` whose requests carry ``host``, with cookies like a browser."""
    return HostClient(app, app.response_class, use_cookies=True, host=host)


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
