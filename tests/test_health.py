"""Probes a load balancer can use: any Host, no details but on the root host, and readiness
that a rolling deploy keeps (a schema ahead of the code is ready, one behind is not)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text

from tenantry.testing import client_for, free_port, settings_for_test

#: What balancers and orchestrators send: the backend's address, or no Host at all.
BALANCER_HOSTS = ["127.0.0.1:8001", "10.1.2.3", "[::1]:8000", "not-a-tenant.example.org", ""]


@pytest.mark.parametrize("host", BALANCER_HOSTS)
@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_answer_on_any_host_with_the_status_only(app, path, host):
    response = client_for(app, "localhost").get(path, headers={"Host": host})
    assert response.status_code == 200
    assert response.json == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_details_are_shown_on_the_root_host_only(platform_client):
    body = platform_client.get("/readyz").json
    assert body == {"status": "ok", "database": "ok", "migrations": "at head"}


def test_probes_answer_on_tenant_hosts_without_login(make_tenant, tenant_client):
    client = tenant_client(make_tenant("acme"))
    assert client.get("/healthz").json == {"status": "ok"}
    assert client.get("/readyz").json == {"status": "ok"}


def test_probes_answer_head_and_refuse_other_methods(platform_client):
    head = platform_client.head("/readyz")
    assert head.status_code == 200 and head.data == b""
    post = platform_client.post("/healthz")
    assert post.status_code == 405 and post.headers["Allow"] == "GET, HEAD"


@pytest.fixture
def version_table(app) -> Iterator[object]:
    """The schema's version table through the owning role; restored after the test."""
    engine = create_engine(app.extensions["tenantry.settings"].effective_migrations_url)
    with engine.connect() as connection:
        saved = [r[0] for r in connection.execute(text("SELECT version_num FROM alembic_version"))]

    def replace(*revisions: str) -> None:
        with engine.begin() as connection:
            connection.execute(text("DELETE FROM alembic_version"))
            for revision in revisions:
                connection.execute(text("INSERT INTO alembic_version VALUES (:r)"), {"r": revision})

    yield replace
    replace(*saved)
    engine.dispose()


def test_a_schema_behind_the_code_is_unavailable_with_the_fix_named(
    app, platform_client, version_table
):
    expected = sorted(app.extensions["tenantry.schema"].expected)
    version_table("0001", *[r for r in expected if not r[0].isdigit()])
    response = platform_client.get("/readyz")
    assert response.status_code == 503
    assert response.json["migrations"] == "behind"
    assert "tenantry db upgrade" in response.json["hint"]
    anonymous = client_for(app, "localhost").get("/readyz", headers={"Host": "127.0.0.1:9"})
    assert (anonymous.status_code, anonymous.json) == (503, {"status": "unavailable"})


def test_a_schema_migrated_by_newer_code_keeps_this_process_ready(
    app, platform_client, version_table
):
    expected = app.extensions["tenantry.schema"].expected
    version_table("0099_from_the_next_release", *[r for r in expected if not r[0].isdigit()])
    response = platform_client.get("/readyz")
    assert response.status_code == 200
    assert response.json["migrations"] == "ahead"


def test_an_unreachable_database_is_unavailable_not_an_error(tmp_path):
    from tenantry.app import create_app

    dead = f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/nothing"
    app = create_app(settings_for_test(tmp_path, "sqlite", database_url=dead))
    response = client_for(app, "localhost").get("/readyz")
    assert response.status_code == 503
    assert response.json == {"status": "unavailable", "database": "unreachable: OperationalError"}
    assert client_for(app, "localhost").get("/healthz").status_code == 200
