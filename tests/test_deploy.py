"""Two tenantry processes behind the shipped nginx and HAProxy configurations, on loopback.

What production relies on, shown with real processes (each configured only by
its environment), a real Redis, real nginx and HAProxy running ``deploy/``'s
files, and the ``tenantry`` CLI changing things from outside:

- a login made through one process is honoured by the other (signed cookies);
- a plugin toggled and a custom domain moved by the CLI are seen by both
  processes on their very next request (no cache waits out a TTL);
- ``kill -9`` of one process under a POST load through each balancer loses no
  acknowledged write; the failed requests and the failover window are reported.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import Flask

from tenantry.auth.models import ApiToken, User
from tenantry.db import db
from tenantry.tenancy.context import tenant_context
from tenantry.testing import (
    ScratchPostgres,
    build_app,
    free_port,
    require_postgres,
    settings_for_test,
)
from tenantry.testing.balancers import balancer
from tenantry.testing.clients import WireClient
from tenantry.testing.daemons import HAPROXY, NGINX, REDIS, RedisServer, require_binary
from tenantry.testing.failover import write_through_failover
from tenantry.testing.processes import Server, get, process_env, tenantry_server

#: Where the measured figures go, for docs/deploy.md and the closing note.
FIGURES = Path(__file__).resolve().parents[1] / "bench" / "results" / "deploy_test.json"


@dataclass
class Cluster:
    app: Flask  # in this process: the CLI and the seeding go through it
    owner_url: str
    env: dict[str, str]
    servers: list[Server]
    credentials: tuple[str, str]
    token: str
    figures: dict[str, object] = field(default_factory=dict)

    def cli(self, *args: str) -> str:
        return cli(self.app, *args)

    def restart(self, n: int) -> None:
        """Start process ``n`` again (after a test killed it)."""
        if self.servers[n].process is None or self.servers[n].process.poll() is not None:
            self.servers[n].stop()
            self.servers[n] = _server(self.env, self.servers[n].port, n)
            self.servers[n].start()


def _server(env: dict[str, str], port: int, n: int) -> Server:
    return tenantry_server(
        env | {"TENANTRY_PORT": str(port), "TENANTRY_SERVER_NAME": "localhost"}, f"tenantry-{n}"
    )


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    require_postgres()
    require_binary(NGINX, HAPROXY, REDIS)
    workdir = tmp_path_factory.mktemp("cluster")
    with ScratchPostgres() as scratch, RedisServer() as redis:
        app = build_app(settings_for_test(workdir, "postgres", scratch))
        credentials, token = _seed(app)
        env = process_env(
            scratch.app_url,
            scratch.owner_url,
            workdir,
            0,
            TENANTRY_SECRET_KEY=secrets.token_urlsafe(32),  # one key: one session for all
            TENANTRY_REDIS_URL=redis.url,
            TENANTRY_TRUSTED_PROXY_ADDRESSES='["127.0.0.1"]',
            TENANTRY_TRUSTED_HOSTS=json.dumps(["localhost", ".localhost", "shop.test"]),
            TENANTRY_THREADS="4",
        )
        servers = [_server(env, free_port(), n) for n in range(2)]
        try:
            for server in servers:
                server.start()
            cluster = Cluster(app, scratch.owner_url, env, servers, credentials, token)
            yield cluster
            _publish(cluster.figures)
        finally:
            for server in servers:
                server.stop()
            app.extensions["tenantry.db"].engine.dispose()


def cli(app: Flask, *args: str, input: str | None = None, check: bool = True) -> str:
    """Run a ``tenantry`` command as the script does (inside an app context)."""
    with app.app_context():
        result = app.test_cli_runner().invoke(args=list(args), input=input)
    assert result.exit_code == 0 or not check, result.output
    return result.output


def _seed(app: Flask) -> tuple[tuple[str, str], str]:
    """acme (notes on) with an admin and an API token; bravo (nothing on)."""
    cli(app, "tenants", "create", "acme", "--name", "Acme")
    cli(app, "tenants", "create", "bravo", "--name", "Bravo")
    cli(app, "plugins", "enable", "notes", "--tenant", "acme")
    password = "a-long-enough-password"
    cli(app, "users", "create", "admin@acme.test", "--tenant", "acme", "--role", "admin",
        input=password + "\n")  # fmt: skip
    with app.app_context():
        from tenantry.tenancy.models import Tenant

        acme = db.session.query(Tenant).filter_by(slug="acme").one()
        with tenant_context(acme):
            user = db.session.query(User).one()
            token, secret = ApiToken.issue(user, "deploy test")
            db.session.add(token)
            db.session.commit()
    return ("admin@acme.test", password), secret


def _publish(figures: dict[str, object]) -> None:
    if figures:
        FIGURES.parent.mkdir(parents=True, exist_ok=True)
        FIGURES.write_text(json.dumps(figures, indent=2) + "\n")


def test_a_login_through_one_process_is_honoured_by_the_other(cluster: Cluster) -> None:
    first, second = (server.port for server in cluster.servers)
    browser = WireClient(first, "acme.localhost")
    assert browser.login(cluster.credentials) == 302
    assert browser.get("/notes/", port=second)[0] == 200
    assert WireClient(second, "acme.localhost").get("/notes/")[0] == 302  # no cookie: login


@pytest.mark.parametrize("kind", ["nginx", "haproxy"])
def test_a_session_holds_whichever_process_the_balancer_picks(cluster: Cluster, kind: str) -> None:
    proxy = balancer(kind, [server.port for server in cluster.servers])
    with proxy:
        browser = WireClient(proxy.port, "acme.localhost", source="127.0.0.2")
        assert browser.login(cluster.credentials) == 302
        statuses = [browser.get("/notes/")[0] for _ in range(6)]
    assert statuses == [200] * 6


def _api_status(cluster: Cluster, port: int, host: str = "acme.localhost") -> int:
    return get(port, "/notes/api/notes", host, cluster.token)[0]


def test_a_plugin_toggled_by_the_cli_is_seen_by_both_processes_next_request(
    cluster: Cluster,
) -> None:
    ports = [server.port for server in cluster.servers]
    assert [_api_status(cluster, port) for port in ports] == [200, 200]  # caches warm
    cluster.cli("plugins", "disable", "notes", "--tenant", "acme")
    try:
        assert [_api_status(cluster, port) for port in ports] == [404, 404]
    finally:
        cluster.cli("plugins", "enable", "notes", "--tenant", "acme")
    assert [_api_status(cluster, port) for port in ports] == [200, 200]


def _site_name(port: int, host: str) -> str:
    status, body = get(port, "/", host)
    if status != 200:
        return str(status)
    page = body.decode()
    return next((name for name in ("Acme", "Bravo") if f"<h1>{name}</h1>" in page), "?")


def test_a_domain_moved_by_the_cli_is_seen_by_both_processes_next_request(
    cluster: Cluster,
) -> None:
    ports = [server.port for server in cluster.servers]
    cluster.cli("domains", "add", "shop.test", "--tenant", "acme")
    try:
        assert [_site_name(port, "shop.test") for port in ports] == ["Acme", "Acme"]
        cluster.cli("domains", "remove", "shop.test", "--tenant", "acme")
        cluster.cli("domains", "add", "shop.test", "--tenant", "bravo")
        assert [_site_name(port, "shop.test") for port in ports] == ["Bravo", "Bravo"]
        cluster.cli("domains", "remove", "shop.test", "--tenant", "bravo")
        assert [_site_name(port, "shop.test") for port in ports] == ["404", "404"]
    finally:
        for slug in ("acme", "bravo"):
            cli(cluster.app, "domains", "remove", "shop.test", "--tenant", slug, check=False)


@pytest.mark.parametrize("kind", ["nginx", "haproxy"])
def test_kill_9_of_one_process_under_writes_loses_no_acknowledged_write(
    cluster: Cluster, kind: str
) -> None:
    proxy = balancer(kind, [server.port for server in cluster.servers])
    try:
        with proxy:
            report = write_through_failover(
                proxy.port, "acme.localhost", cluster.token, kill=cluster.servers[0].kill
            )
            after = [_api_status(cluster, proxy.port) for _ in range(4)]
    finally:
        cluster.restart(0)
    summary = report.summary()
    cluster.figures[kind] = summary
    print(f"\n{kind}: {summary}")
    assert report.lost(cluster.owner_url) == []
    assert len(report.acknowledged) > 20, summary
    # Only requests the killed process had taken may fail: per client connection, the one in
    # flight and at most one the balancer sent down a pooled connection to the dead process
    # before it saw that connection close (HAProxy reuses them; a POST is never resent).
    assert len(report.failures) <= 2 * 8, summary
    # ... and only in the moment of the kill: the balancer's retries take every later
    # request, long before its health checks (every 1 s, 2 failures) mark the process down.
    assert all(0 <= moment < 1.0 for moment in report.failures), summary
    assert after == [200] * 4  # the survivor serves everything once the balancer knows
