"""Forwarded headers believed from the configured proxies only, under real waitress and behind
real nginx: the client's address, scheme and host, and a login throttle per client address
that tells two people behind the same proxy apart."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask, jsonify, request

from tenantry.app import create_app
from tenantry.testing import build_app, serve_in_thread, settings_for_test
from tenantry.testing.balancers import nginx_config
from tenantry.testing.clients import WireClient
from tenantry.testing.daemons import NGINX, Nginx, require_binary

FORGED = {
    "X-Forwarded-For": "198.51.100.7, 203.0.113.9",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "localhost:8443",
}


@pytest.fixture
def whoami(tmp_path) -> Callable[..., Flask]:
    """An app (with the given proxy settings) that also says who it thinks asked."""

    def make(**proxies: Any) -> Flask:
        app = create_app(settings_for_test(tmp_path, "sqlite", **proxies))

        @app.get("/whoami")
        def who() -> Any:
            return jsonify(client=request.remote_addr, scheme=request.scheme, host=request.host)

        return app

    return make


@contextmanager
def waitress(app: Flask) -> Iterator[int]:
    with serve_in_thread(app, threads=2) as server:
        yield server.effective_port


def ask(port: int, headers: dict[str, str], source: str = "127.0.0.1") -> dict[str, str]:
    status, _headers, body = WireClient(port, "localhost", source).get("/whoami", headers=headers)
    assert status == 200, body
    return json.loads(body)


def test_forwarded_headers_are_ignored_when_no_proxy_is_trusted(whoami):
    with waitress(whoami()) as port:
        seen = ask(port, FORGED)
    assert seen == {"client": "127.0.0.1", "scheme": "http", "host": "localhost"}


def test_a_trusted_proxy_address_is_believed_under_waitress(whoami):
    with waitress(whoami(trusted_proxy_addresses=["127.0.0.1"])) as port:
        seen = ask(port, FORGED)
    assert seen == {"client": "203.0.113.9", "scheme": "https", "host": "localhost:8443"}


def test_a_connection_from_elsewhere_is_not_believed(whoami):
    with waitress(whoami(trusted_proxy_addresses=["10.0.0.0/8"])) as port:
        seen = ask(port, FORGED)
    assert seen == {"client": "127.0.0.1", "scheme": "http", "host": "localhost"}


def test_chained_trusted_proxies_are_skipped_to_find_the_client(whoami):
    app = whoami(trusted_proxy_addresses=["127.0.0.1", "10.0.0.0/8"])
    with waitress(app) as port:
        seen = ask(port, {"X-Forwarded-For": "203.0.113.9, 10.4.4.4, 10.2.2.2"})
    assert seen["client"] == "203.0.113.9"


def test_a_proxy_count_takes_that_many_entries_from_the_right(whoami):
    with waitress(whoami(trusted_proxies=2)) as port:
        assert ask(port, FORGED)["client"] == "198.51.100.7"
        assert ask(port, {"X-Forwarded-For": "203.0.113.9"})["client"] == "127.0.0.1"


def test_behind_nginx_the_client_is_who_connected_to_nginx(whoami):
    require_binary(NGINX)
    app = whoami(trusted_proxy_addresses=["127.0.0.1"])
    with waitress(app) as port, Nginx(nginx_config([port])) as nginx:
        seen = ask(nginx.port, FORGED, source="127.0.0.7")
        _status, headers, _body = WireClient(nginx.port, "localhost").get(
            "/whoami", headers={"X-Request-ID": "forged"}
        )
    # nginx replaces what the client claimed: its own peer, its own scheme and id.
    assert seen == {"client": "127.0.0.7", "scheme": "http", "host": "localhost"}
    assert len(headers["x-request-id"]) == 32 and headers["x-request-id"] != "forged"


@pytest.fixture
def acme_app(tmp_path) -> Callable[..., Flask]:
    """A migrated app (SQLite: the throttle does not depend on the database) with a tenant."""

    def make(**proxies: Any) -> Flask:
        app = build_app(settings_for_test(tmp_path, "sqlite", **proxies))
        runner = app.test_cli_runner()
        with app.app_context():
            assert runner.invoke(args=["tenants", "create", "acme"]).exit_code == 0
        return app

    return make


def _locked_out(nginx_port: int) -> tuple[int, int]:
    """Ten wrong logins from 127.0.0.2, then one from 127.0.0.3: their statuses."""
    first = WireClient(nginx_port, "acme.localhost", source="127.0.0.2")
    for n in range(10):
        assert first.login((f"nobody{n}@x.test", "wrong-password")) == 200
    eleventh = first.login(("nobody10@x.test", "wrong-password"))
    other = WireClient(nginx_port, "acme.localhost", source="127.0.0.3")
    return eleventh, other.login(("someone@x.test", "wrong-password"))


def test_behind_nginx_the_login_throttle_tells_two_clients_apart(acme_app):
    require_binary(NGINX)
    app = acme_app(trusted_proxy_addresses=["127.0.0.1"])
    with waitress(app) as port, Nginx(nginx_config([port])) as nginx:
        assert _locked_out(nginx.port) == (429, 200)


def test_without_trusted_proxies_everyone_behind_nginx_shares_one_lockout(acme_app):
    """What the setting is for: untrusted, nginx's address is every client's address."""
    require_binary(NGINX)
    with waitress(acme_app()) as port, Nginx(nginx_config([port])) as nginx:
        assert _locked_out(nginx.port) == (429, 429)
