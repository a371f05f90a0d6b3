"""Per-tenant usage in the database: requests, errors and active users counted in memory and
written in one flush; rows and storage measured by `tenantry usage collect`, with retention;
each tenant's rows are its own."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from tenantry import db, tenant_context
from tenantry.instrument import USAGE_EXTENSION
from tenantry.tenancy.context import all_tenants
from tenantry.usage import UsageDay, collect, days_of
from tenantry_notes.models import Note


def today() -> date:
    return datetime.now(UTC).date()


def usage_rows(app) -> dict[str, UsageDay]:
    from tenantry.tenancy.models import Tenant

    with app.app_context(), all_tenants():
        found = db.session.execute(
            select(Tenant.slug, UsageDay).join(Tenant, Tenant.id == UsageDay.tenant_id)
        ).all()
        db.session.expunge_all()
        return {slug: row for slug, row in found}


def test_requests_errors_and_active_users_are_written_per_tenant_in_one_flush(
    app, make_tenant, make_user, tenant_client, login, monkeypatch
):
    buffer = app.extensions[USAGE_EXTENSION]
    monkeypatch.setattr(buffer, "flush_s", 3600)  # no timed flush while the test runs
    buffer.flush()  # earlier tests' counts (their tenants are gone) before ids are reused
    acme, globex = make_tenant("acme", plugins=["notes"]), make_tenant("globex")
    client = tenant_client(acme)
    login(client, make_user(acme))  # the form (GET) and its POST
    client.get("/notes/")
    tenant_client(globex).get("/")
    assert usage_rows(app) == {}  # nothing written while serving
    buffer.flush()
    rows = usage_rows(app)
    assert rows["acme"].day == today()
    assert rows["acme"].requests == 3  # the login form, its POST, the notes
    assert rows["acme"].active_users == 1
    assert rows["globex"].requests == 1 and rows["globex"].active_users == 0
    assert rows["acme"].errors == rows["globex"].errors == 0


def test_collect_measures_rows_and_storage_and_drops_days_past_the_retention(app, make_tenant):
    acme, globex = make_tenant("acme", plugins=["notes"]), make_tenant("globex", plugins=["notes"])
    with app.app_context():
        with tenant_context(acme):
            db.session.add_all([Note(title=f"acme {n}") for n in range(3)])
            db.session.commit()
        with tenant_context(globex):
            db.session.add(Note(title="globex"))
            db.session.commit()
        with all_tenants():
            db.session.add(UsageDay(tenant_id=acme.id, day=today() - timedelta(days=40)))
            db.session.commit()
        assert collect(db.platform_engine, retention_days=31) == 2
    rows = usage_rows(app)
    assert rows["acme"].day == today()  # the 40-day-old row is gone
    assert rows["acme"].rows["notes_note"] == 3
    assert rows["globex"].rows["notes_note"] == 1
    assert rows["acme"].storage_bytes > rows["globex"].storage_bytes > 0


def test_a_tenant_reads_only_its_own_usage(app, make_tenant):
    acme, globex = make_tenant("acme"), make_tenant("globex")
    with app.app_context():
        with all_tenants():
            for tenant in (acme, globex):
                db.session.add(UsageDay(tenant_id=tenant.id, day=today(), requests=7))
            db.session.commit()
        with tenant_context(acme):
            mine = days_of(db.session, acme.id, today())
            assert [row.tenant_id for row in mine] == [acme.id]
            # Asking for another tenant's days from inside acme: the database refuses the
            # rows on PostgreSQL (row-level security); the ORM query names the tenant.
            theirs = days_of(db.session, globex.id, today())
            if db.engine.dialect.name == "postgresql":
                assert theirs == []


def test_the_usage_collect_command_measures_every_tenant(app, make_tenant):
    acme = make_tenant("acme", plugins=["notes"])
    with app.app_context(), tenant_context(acme):
        db.session.add(Note(title="one"))
        db.session.commit()
    runner = app.test_cli_runner()
    with app.app_context():
        result = runner.invoke(args=["usage", "collect"])
    assert result.exit_code == 0, result.output
    assert "usage collected for 1 tenant(s); kept 400 days" in result.output
    assert usage_rows(app)["acme"].rows["notes_note"] == 1
