"""SQL injection on a tenant's host: whatever the tenant role sends, it reaches one tenant.

Each probe runs as ``tenantry_app`` inside acme's transaction, exactly where an
injected statement would run, and tries to see or change bravo's rows.
"""

import re

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import ProgrammingError

from tenantry import all_tenants, db, tenant_context
from tenantry.tenancy.tokens import TenantTokens, key_reader
from tenantry.testing import APP_ROLE, PLATFORM_ROLE

pytestmark = pytest.mark.parametrize("backend", ["postgres"], indirect=True)
NOTES = "SELECT title FROM notes_note ORDER BY title"
ACME_NOTES = ["acme-note-0", "acme-note-1", "acme-note-2"]
TOKEN = re.compile(r"\d+\.[0-9a-f]{64}")


@pytest.fixture
def tokens(app):
    """Tokens signed with the database's key, read as the owner (what an attacker lacks)."""
    owner = create_engine(app.extensions["tenantry.settings"].effective_migrations_url)
    yield TenantTokens(key_reader(owner))
    owner.dispose()


def injected(session, sql, **params):
    """What an injection does: raw SQL on the request's own connection."""
    return session.connection().execute(text(sql), params)


def test_requests_of_a_tenant_run_as_the_tenant_role(session, acme):
    with tenant_context(acme.tenant):
        assert injected(session, "SELECT current_user").scalar() == APP_ROLE


def test_all_tenants_switched_on_by_sql_shows_nothing_more(session, acme, bravo):
    with tenant_context(acme.tenant):
        injected(session, "SELECT set_config('tenantry.all_tenants', 'on', true)")
        assert injected(session, NOTES).scalars().all() == ACME_NOTES
        injected(session, "SELECT set_config('tenantry.all_tenants', 'on', false)")
        assert injected(session, NOTES).scalars().all() == ACME_NOTES


@pytest.mark.parametrize(
    "forge",
    [
        lambda bravo, acme_token: str(bravo),
        lambda bravo, acme_token: f"{bravo}.{'0' * 64}",
        lambda bravo, acme_token: f"{bravo}.{acme_token.split('.')[1]}",
        lambda bravo, acme_token: f"{bravo}.{acme_token.split('.')[1].upper()}",
        lambda bravo, acme_token: f"0{bravo}.{acme_token.split('.')[1]}",
        lambda bravo, acme_token: f"{acme_token},{bravo}",
        lambda bravo, acme_token: f"{acme_token}.{bravo}",
        lambda bravo, acme_token: f"{bravo}.{acme_token.split('.')[1][:63]}",
    ],
    ids=[
        "plain id",
        "zero mac",
        "acme's mac",
        "upper-case mac",
        "padded id",
        "appended id",
        "extra part",
        "short mac",
    ],
)
def test_a_forged_tenant_setting_shows_no_rows_at_all(session, acme, bravo, tokens, forge):
    with tenant_context(acme.tenant):
        forged = forge(bravo.tenant.id, tokens.token(acme.tenant.id))
        injected(session, "SELECT set_config('tenantry.tenant_id', :v, true)", v=forged)
        assert injected(session, NOTES).scalars().all() == []
        assert injected(session, "SELECT public.tenantry_current_tenant()").scalar() is None


def test_another_tenants_token_is_nowhere_the_tenant_role_can_read(
    app, session, acme, bravo, tokens
):
    """bravo's request holds its transaction open; acme's injection looks everywhere."""
    bravo_token = tokens.token(bravo.tenant.id)
    with tenant_context(bravo.tenant), db.engine.connect() as bravo_request:
        assert bravo_request.execute(text("SELECT count(*) FROM notes_note")).scalar() == 3
        with tenant_context(acme.tenant):
            visible = " ".join(
                str(value)
                for sql in (
                    "SELECT * FROM pg_stat_activity",
                    "SELECT * FROM pg_settings",
                    "SELECT * FROM pg_locks",
                    "SELECT * FROM pg_prepared_statements",
                )
                for row in injected(session, sql)
                for value in row
            )
            assert bravo_token not in visible
            found = set(TOKEN.findall(visible))
            for candidate in found:  # whatever looks like a token: try it
                injected(session, "SELECT set_config('tenantry.tenant_id', :v, true)", v=candidate)
                assert not any(t.startswith("bravo") for t in injected(session, NOTES).scalars())


def test_the_key_is_out_of_the_tenant_roles_reach(session, acme):
    with tenant_context(acme.tenant), pytest.raises(ProgrammingError, match="permission denied"):
        injected(session, "SELECT key FROM tenantry_private.rls_key")
    session.rollback()


def test_a_temporary_table_cannot_stand_in_for_the_key(session, acme, bravo):
    """The function names its key table in full and searches pg_temp last."""
    evil = TenantTokens(lambda: b"k" * 32)
    with tenant_context(acme.tenant):
        injected(session, "CREATE TEMP TABLE rls_key (key bytea, inner_pad bytea, outer_pad bytea)")
        injected(
            session,
            "INSERT INTO rls_key VALUES (:k, :i, :o)",
            k=b"k" * 32,
            i=bytes(b ^ 0x36 for b in (b"k" * 32).ljust(64, b"\0")),
            o=bytes(b ^ 0x5C for b in (b"k" * 32).ljust(64, b"\0")),
        )
        injected(
            session,
            "SELECT set_config('tenantry.tenant_id', :v, true)",
            v=evil.token(bravo.tenant.id),
        )
        assert injected(session, NOTES).scalars().all() == []
    session.rollback()


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT email FROM tenantry_operator",
        "UPDATE tenantry_tenant SET status = 'suspended'",
        "DELETE FROM tenantry_tenant",
        "INSERT INTO tenantry_tenant_plugin (tenant_id, plugin, enabled, settings)"
        " VALUES (:bravo, 'x', true, '{}')",
        "DELETE FROM alembic_version",
        "TRUNCATE notes_note",
    ],
)
def test_platform_tables_are_the_platform_roles(session, acme, bravo, sql):
    with tenant_context(acme.tenant), pytest.raises(ProgrammingError):
        injected(session, sql, bravo=bravo.tenant.id)
    session.rollback()


def test_other_tenants_plugin_settings_are_invisible_and_unchangeable(session, acme, bravo):
    with tenant_context(acme.tenant):
        seen = injected(session, "SELECT DISTINCT tenant_id FROM tenantry_tenant_plugin")
        assert seen.scalars().all() == [acme.tenant.id]
        # Enablement is written by the platform role only: the tenant role may not even try.
        with pytest.raises(ProgrammingError, match="permission denied"):
            injected(
                session,
                "UPDATE tenantry_tenant_plugin SET settings = '{}' WHERE tenant_id = :bravo",
                bravo=bravo.tenant.id,
            )
        session.rollback()


def test_all_tenants_runs_as_the_platform_role_and_sees_everyone(session, acme, bravo):
    with all_tenants():
        assert injected(session, "SELECT current_user").scalar() == PLATFORM_ROLE
        assert len(injected(session, NOTES).scalars().all()) == 6


def test_the_platform_role_acting_for_a_tenant_is_confined_to_it(session, acme, bravo):
    """Work begun across tenants (an operator's action) that enters one tenant stays on the
    platform's connection and is confined to that tenant there too."""
    with all_tenants():
        injected(session, "SELECT 1")
        with tenant_context(acme.tenant):
            assert injected(session, "SELECT current_user").scalar() == PLATFORM_ROLE
            assert injected(session, NOTES).scalars().all() == ACME_NOTES
