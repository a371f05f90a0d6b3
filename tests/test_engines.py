"""Pool sizes, statement timeouts, and PgBouncer in transaction mode, through a real PgBouncer
(pool of 2 server connections shared by every client) started by the test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from tenantry import db, tenant_context
from tenantry.testing import (
    APP_ROLE,
    JsonCollection,
    ScratchPostgres,
    build_app,
    require_postgres,
    run_load,
    serve_in_thread,
    settings_for_test,
)
from tenantry.testing.daemons import PGBOUNCER, PgBouncer, require_binary

NOTES = JsonCollection("/notes/api/notes", table="notes_note", fields={"body": "pooled"})


def test_pool_settings_reach_the_engine(tmp_path: Path) -> None:
    from tenantry.engines import make_engines
    from tenantry.settings import load_settings

    settings = load_settings(
        instance_path=tmp_path,
        database_url="postgresql+psycopg://nobody@127.0.0.1:1/none",
        database_pool_size=3,
        database_max_overflow=4,
        database_pool_timeout_s=1.5,
    )
    pool = make_engines(settings).primary.pool
    assert (pool.size(), pool._max_overflow, pool._timeout) == (3, 4, 1.5)  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def scratch() -> Iterator[ScratchPostgres]:
    require_postgres()
    with ScratchPostgres() as database:
        yield database


@pytest.fixture(scope="module")
def pgbouncer(scratch: ScratchPostgres) -> Iterator[PgBouncer]:
    require_binary(PGBOUNCER)
    port = create_engine(scratch.owner_url).url.port or 5432
    with PgBouncer(port, users=[APP_ROLE, "postgres", "root"], pool_size=2) as bouncer:
        yield bouncer


def _app(tmp: Path, scratch: ScratchPostgres, **overrides: Any) -> Flask:
    return build_app(settings_for_test(tmp, "postgres", scratch, **overrides))


@pytest.fixture(scope="module")
def pooled(
    scratch: ScratchPostgres, pgbouncer: PgBouncer, tmp_path_factory: pytest.TempPathFactory
) -> Flask:
    """The app connecting through PgBouncer in its PgBouncer mode, with a statement timeout."""
    return _app(
        tmp_path_factory.mktemp("pooled"),
        scratch,
        database_url=pgbouncer.url_for(scratch.app_url),
        database_pgbouncer=True,
        database_statement_timeout_s=0.5,
    )


def test_concurrent_writes_through_pgbouncer_never_fail_nor_leak(
    pooled: Flask, scratch: ScratchPostgres, load_tenants: Any
) -> None:
    tenants = load_tenants(pooled, 6, prefix="pooled")
    with serve_in_thread(pooled, threads=6) as server:
        report = run_load(server.effective_port, scratch.owner_url, NOTES, tenants, 12, 4.0)
    summary = report.summary()
    print(f"\nthrough PgBouncer (transaction mode, 2 server connections): {summary}")
    assert report.by_operation["create"] > 20, summary
    assert report.errors == 0, report.samples
    assert report.bleed == 0 and report.misfiled_rows == 0, report.samples


def test_the_tenant_setting_never_reaches_the_next_client_of_a_server_connection(
    pooled: Flask, pgbouncer: PgBouncer, scratch: ScratchPostgres, load_tenants: Any
) -> None:
    [tenant] = load_tenants(pooled, 1, notes=3, prefix="leak")
    with pooled.app_context():
        from tenantry.tenancy.models import Tenant

        row = db.session.query(Tenant).filter_by(slug=tenant.slug).one()
        with tenant_context(row):
            assert len(db.session.execute(text("SELECT id FROM notes_note")).all()) == 3
            db.session.commit()
    # Another client of the same two server connections, as the application role.
    other = create_engine(pgbouncer.url_for(scratch.app_url))
    with other.connect() as connection:
        for _ in range(4):  # every server connection of the pool, in turn
            setting = connection.execute(
                text("SELECT current_setting('tenantry.tenant_id', true)")
            ).scalar()
            visible = connection.execute(text("SELECT count(*) FROM notes_note")).scalar()
            prepared = connection.execute(text("SELECT count(*) FROM pg_prepared_statements"))
            connection.commit()
            # No tenant, so no rows; and the app left no prepared statement behind.
            assert (setting or "", visible, prepared.scalar()) == ("", 0, 0)
    other.dispose()


@pytest.mark.parametrize("through", ["pgbouncer", "direct"])
def test_a_statement_past_the_timeout_is_cancelled(
    through: str,
    pooled: Flask,
    scratch: ScratchPostgres,
    tmp_path: Path,
) -> None:
    app = (
        pooled
        if through == "pgbouncer"
        else _app(tmp_path, scratch, database_statement_timeout_s=0.5)
    )
    with app.app_context():
        from tenantry.tenancy.models import Tenant

        tenant = db.session.query(Tenant).first() or _make_tenant(app)
        with tenant_context(tenant):
            assert db.session.execute(text("SELECT pg_sleep(0.1)")).all()
            db.session.rollback()
            with pytest.raises(OperationalError, match="statement timeout"):
                db.session.execute(text("SELECT pg_sleep(2)"))
            db.session.rollback()


def _make_tenant(app: Flask) -> Any:
    from tenantry.tenancy import lifecycle

    tenant = lifecycle.create(db.session, "timeout")
    db.session.commit()
    return tenant
