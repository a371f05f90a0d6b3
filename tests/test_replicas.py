"""Read replicas, against a real PostgreSQL streaming standby the test builds (initdb, then
pg_basebackup -R, as the postgres OS user, on free ports, removed after).

Pausing the standby's replay makes "which server answered" visible: a write made
while it is paused is on the primary only, so a read that sees it came from the
primary and a read that misses it came from the standby.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Engine, create_engine, text

from tenantry import db, tenant_context
from tenantry.app import create_app
from tenantry.auth.models import ApiToken
from tenantry.tenancy.tokens import TenantTokens, key_reader
from tenantry.testing import (
    ScratchPostgres,
    build_app,
    client_for,
    require_postgres,
    settings_for_test,
)
from tenantry.testing.daemons import PG_SERVER, PostgresCluster, require_binary

NOTES = "/notes/api/notes"


@dataclass
class Replicated:
    app: Flask
    primary: PostgresCluster
    standby: PostgresCluster
    database: ScratchPostgres
    standby_admin: Engine  # superuser on the standby: pauses and resumes replay
    tokens: dict[str, str]
    tmp: Path

    def pause(self) -> None:
        with self.standby_admin.connect() as connection:
            connection.execute(text("SELECT pg_wal_replay_pause()"))

    def resume(self, catch_up: bool = True) -> None:
        with self.standby_admin.connect() as connection:
            connection.execute(text("SELECT pg_wal_replay_resume()"))
        if catch_up:
            self.wait_for_standby()

    def wait_for_standby(self, timeout: float = 10.0) -> None:
        """Until the standby has replayed everything the primary has written so far."""
        owner = create_engine(self.database.owner_url)
        with owner.connect() as connection:
            target = connection.execute(text("SELECT pg_current_wal_insert_lsn()")).scalar()
        owner.dispose()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.standby_admin.connect() as connection:
                done = connection.execute(
                    text("SELECT pg_last_wal_replay_lsn() >= :t"), {"t": target}
                ).scalar()
            if done:
                return
            time.sleep(0.05)
        raise AssertionError("the standby did not catch up")

    def write_on_primary(self, slug: str, title: str) -> None:
        """A note written straight on the primary, as another process would."""
        owner = create_engine(self.database.owner_url)
        with owner.begin() as connection:
            connection.execute(text("SELECT set_config('tenantry.all_tenants', 'on', true)"))
            connection.execute(
                text(
                    "INSERT INTO notes_note (tenant_id, author_id, title, body, tags, created_at,"
                    " updated_at) SELECT t.id, u.id, :title, '', '', now(), now()"
                    " FROM tenantry_tenant t JOIN tenantry_user u ON u.tenant_id = t.id"
                    " WHERE t.slug = :slug"
                ),
                {"title": title, "slug": slug},
            )
        owner.dispose()

    def client(self, slug: str) -> Any:
        client = client_for(self.app, f"{slug}.localhost")
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {self.tokens[slug]}"
        return client

    def titles(self, client: Any) -> list[str]:
        response = client.get(NOTES + "?per_page=100")
        assert response.status_code == 200, response.data[:300]
        return [item["title"] for item in response.json["items"]]


@pytest.fixture(scope="module")
def replicated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replicated]:
    require_postgres()
    require_binary(PG_SERVER)
    tmp = tmp_path_factory.mktemp("replicas")
    with PostgresCluster() as primary:
        database = ScratchPostgres(primary.url())
        with primary.standby() as standby:
            replica_url = standby.url(database.name, "tenantry_app")
            app = build_app(
                settings_for_test(
                    tmp, "postgres", database, database_replica_urls=[replica_url],
                    replica_max_lag_s=30.0,
                )
            )  # fmt: skip
            tokens = _seed(app)
            admin = create_engine(standby.url(), isolation_level="AUTOCOMMIT")
            setup = Replicated(app, primary, standby, database, admin, tokens, tmp)
            setup.wait_for_standby()
            try:
                yield setup
            finally:
                admin.dispose()
                for engine in (db_engine(app), *app.extensions["tenantry.replicas"].replicas):
                    engine.dispose()
        database.admin.dispose()


def db_engine(app: Flask) -> Engine:
    return app.extensions["tenantry.db"].engine


def _seed(app: Flask) -> dict[str, str]:
    """acme and bravo, notes on, an admin each with an API token (already used: no touch)."""
    from tenantry.auth import accounts
    from tenantry.plugins import enablement
    from tenantry.plugins.runtime import runtime
    from tenantry.tenancy import lifecycle
    from tenantry_notes.models import Note

    tokens = {}
    with app.app_context():
        for slug in ("acme", "bravo"):
            tenant = lifecycle.create(db.session, slug)
            enablement.enable(db.session, runtime().registry, tenant, "notes")
            user = accounts.create_user(
                db.session, tenant, f"admin@{slug}.test", "correct-horse-battery", "admin"
            )
            db.session.commit()
            with tenant_context(tenant):
                token, secret = ApiToken.issue(user, "replicas")
                token.last_used_at = datetime.now(UTC)
                db.session.add_all([token, Note(title=f"[{slug}] seeded", author=user)])
                db.session.commit()
            tokens[slug] = secret
    return tokens


def test_reads_come_from_the_standby_and_stay_in_their_tenant(replicated: Replicated) -> None:
    replicated.pause()
    try:
        replicated.write_on_primary("acme", "[acme] on the primary only")
        titles = replicated.titles(replicated.client("acme"))
    finally:
        replicated.resume()
    assert titles == ["[acme] seeded"]  # the standby's view: the new note is not there yet
    assert replicated.titles(replicated.client("acme"))[0] == "[acme] on the primary only"
    assert all(t.startswith("[bravo]") for t in replicated.titles(replicated.client("bravo")))


def test_row_level_security_applies_on_the_standby(replicated: Replicated) -> None:
    standby = create_engine(replicated.standby.url(replicated.database.name, "tenantry_app"))
    with standby.connect() as connection:
        assert connection.execute(text("SELECT pg_is_in_recovery()")).scalar() is True
        everyone = connection.execute(text("SELECT count(*) FROM notes_note")).scalar()
        acme = connection.execute(text("SELECT id FROM tenantry_tenant WHERE slug = 'acme'"))
        connection.execute(
            text("SELECT set_config('tenantry.tenant_id', :token, true)"),
            {"token": rls_token(replicated, acme.scalar())},
        )
        titles = connection.execute(text("SELECT title FROM notes_note")).scalars().all()
    standby.dispose()
    assert everyone == 0  # no tenant set: no rows at all
    assert titles and all(t.startswith("[acme]") for t in titles)


def rls_token(replicated: Replicated, tenant_id: int) -> str:
    """The signed setting row-level security believes (``tenancy.tokens``), as the app
    would send it; a bare tenant id is not believed."""
    owner = create_engine(replicated.database.owner_url)
    try:
        return TenantTokens(key_reader(owner)).token(tenant_id)
    finally:
        owner.dispose()


def test_a_client_reads_its_own_write_while_the_standby_is_paused(replicated: Replicated) -> None:
    writer, stranger = replicated.client("acme"), replicated.client("acme")
    replicated.pause()
    try:
        created = writer.post(NOTES, json={"title": "[acme] mine, just written"})
        assert created.status_code == 201
        seen_by_writer = replicated.titles(writer)
        seen_by_stranger = replicated.titles(stranger)
    finally:
        replicated.resume()
    assert "[acme] mine, just written" in seen_by_writer  # from the primary: it is behind
    assert "[acme] mine, just written" not in seen_by_stranger  # from the paused standby
    # Caught up, the writer's reads go back to the standby: a note written on the primary
    # while it is paused again is not in what the writer sees.
    replicated.pause()
    try:
        replicated.write_on_primary("acme", "[acme] written elsewhere")
        assert "[acme] written elsewhere" not in replicated.titles(writer)
    finally:
        replicated.resume()


def test_a_get_that_touches_a_token_writes_on_the_primary(replicated: Replicated) -> None:
    owner = create_engine(replicated.database.owner_url)
    with owner.begin() as connection:
        connection.execute(text("SELECT set_config('tenantry.all_tenants', 'on', true)"))
        connection.execute(text("UPDATE tenantry_api_token SET last_used_at = NULL"))
    replicated.wait_for_standby()
    response = replicated.client("acme").get(NOTES)
    with owner.begin() as connection:
        connection.execute(text("SELECT set_config('tenantry.all_tenants', 'on', true)"))
        touched = connection.execute(
            text("SELECT count(*) FROM tenantry_api_token WHERE last_used_at IS NOT NULL")
        ).scalar()
    owner.dispose()
    assert response.status_code == 200
    assert touched == 1


def test_readyz_reports_the_standby_its_recovery_and_its_lag(replicated: Replicated) -> None:
    root = client_for(replicated.app, "localhost")
    body = root.get("/readyz").json
    assert body["status"] == "ok"
    [replica] = body["replicas"]
    assert replica["status"] == "ok" and replica["in_recovery"] is True
    assert 0 <= replica["lag_s"] < 5
    assert client_for(replicated.app, "127.0.0.1").get("/readyz").json == {"status": "ok"}


def test_a_lagging_standby_is_not_read_from_and_readyz_says_degraded(
    replicated: Replicated,
) -> None:
    settings = replicated.app.extensions["tenantry.settings"]
    strict = create_app(settings.model_copy(update={"replica_max_lag_s": 0.5}))
    replicated.pause()
    try:
        replicated.write_on_primary("acme", "[acme] while the standby lags")
        time.sleep(1.0)
        readiness = client_for(strict, "localhost").get("/readyz")
        client = client_for(strict, "acme.localhost")
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {replicated.tokens['acme']}"
        titles = replicated.titles(client)
    finally:
        replicated.resume()
        for engine in (db_engine(strict), *strict.extensions["tenantry.replicas"].replicas):
            engine.dispose()
    assert readiness.status_code == 200 and readiness.json["status"] == "degraded"
    [replica] = readiness.json["replicas"]
    assert replica["status"] == "lagging" and replica["lag_s"] >= 1.0
    assert "[acme] while the standby lags" in titles  # read from the primary


def test_a_standby_that_is_gone_leaves_reads_to_the_primary(replicated: Replicated) -> None:
    """Last in the module: it stops the standby."""
    replicated.standby.stop()
    response = replicated.client("acme").get(NOTES)
    readiness = client_for(replicated.app, "localhost").get("/readyz")
    assert response.status_code == 200
    assert readiness.status_code == 200 and readiness.json["status"] == "degraded"
    assert readiness.json["replicas"][0]["status"] == "unreachable"
