"""The partitioned test mode really splits the tenant tables, keeps RLS on, and the keys hold."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.exc import ProgrammingError

from tenantry import db, distribution, tenant_context
from tenantry.db import Base
from tenantry.tenancy.context import TenantRef
from tenantry.testing import ScratchPostgres, build_app, require_postgres, settings_for_test
from tenantry.testing.fixtures import PARTITIONS
from tenantry.testing.partitioned import partition_tenant_tables, partitions_wanted
from tenantry_notes.models import Note

TENANT_TABLES = {
    "tenantry_user",
    "tenantry_api_token",
    "tenantry_user_session",
    "tenantry_invitation",
    "tenantry_audit_entry",
    "tenantry_oidc_provider",
    "notes_note",
    "tasks_task",
}
LAYOUT = """
SELECT p.relname, count(c.oid), bool_and(c.relrowsecurity AND c.relforcerowsecurity)
FROM pg_class p LEFT JOIN pg_inherits i ON i.inhparent = p.oid
LEFT JOIN pg_class c ON c.oid = i.inhrelid
WHERE p.relkind = 'p' GROUP BY p.relname
"""


def layout(connection) -> dict[str, tuple[int, bool]]:
    """Partitioned table -> (its partitions, whether each has row-level security forced)."""
    return {name: (count, forced) for name, count, forced in connection.execute(text(LAYOUT))}


@pytest.fixture
def partitioned(tmp_path: Path) -> Iterator[Flask]:
    """An app of its own whose tenant tables are split into 4 partitions."""
    require_postgres()
    scratch = ScratchPostgres()
    settings = settings_for_test(tmp_path, "postgres", scratch)
    app = build_app(settings)
    partition_tenant_tables(settings, Base.metadata, 4)
    yield app
    with app.app_context():
        db.engine.dispose()
    scratch.drop()


def test_every_tenant_table_is_split_by_tenant_and_keeps_its_keys(partitioned):
    with partitioned.app_context(), db.engine.connect() as connection:
        assert layout(connection) == dict.fromkeys(TENANT_TABLES, (4, True))
        assert distribution.check(connection, Base.metadata) == []


def test_one_tenants_rows_live_in_one_partition_and_rls_still_applies(partitioned):
    from tenantry.tenancy import lifecycle

    with partitioned.app_context():
        tenants = [lifecycle.create(db.session, f"p{n}", f"P{n}") for n in range(6)]
        db.session.commit()
        refs = [TenantRef(t.id, t.slug, t.name) for t in tenants]
        for ref in refs:
            with tenant_context(ref):
                db.session.add_all(Note(title=f"{ref.slug} {n}") for n in range(3))
                db.session.commit()
        # Raw SQL as the application's role, acting for p0 (the connection layer sets p0's
        # signed token for it; a bare id would not be believed).
        with tenant_context(refs[0]), db.engine.begin() as bare:
            assert bare.execute(text("SELECT count(*) FROM notes_note")).scalar() == 3
        # A partition named directly is not the tenant role's to read at all (and carries
        # the policy as well, for the roles that may: see the owner's view below).
        for n in range(4):
            with (
                tenant_context(refs[0]),
                db.engine.connect() as bare,
                pytest.raises(ProgrammingError, match="permission denied"),
            ):
                bare.execute(text(f"SELECT count(*) FROM notes_note_p{n}"))
    owner = create_engine(partitioned.extensions["tenantry.settings"].effective_migrations_url)
    with owner.begin() as connection:
        connection.execute(text("SELECT set_config('tenantry.all_tenants', 'on', true)"))
        placed = connection.execute(
            text("SELECT tenant_id, count(DISTINCT tableoid) FROM notes_note GROUP BY tenant_id")
        ).all()
        used = connection.execute(text("SELECT count(DISTINCT tableoid) FROM notes_note")).scalar()
    owner.dispose()
    assert sorted(placed) == [(ref.id, 1) for ref in refs]
    assert used > 1  # six tenants over four partitions


def test_a_partitioned_run_really_runs_on_partitions(app, backend):
    """In CI's second run (TENANTRY_TEST_PARTITIONS=8) the shared test database is split."""
    if not PARTITIONS:
        pytest.skip("TENANTRY_TEST_PARTITIONS is not set: this run is not partitioned")
    with app.app_context(), db.engine.connect() as connection:
        assert layout(connection) == dict.fromkeys(TENANT_TABLES, (PARTITIONS, True))


@pytest.mark.parametrize("value", ["x", "1", "-3"])
def test_a_bad_partition_count_is_refused_with_what_is_expected(monkeypatch, value):
    monkeypatch.setenv("TENANTRY_TEST_PARTITIONS", value)
    with pytest.raises(ValueError, match="expected a number of partitions, 2 or more"):
        partitions_wanted()
