"""PostgreSQL row-level security: the database's guard behind the ORM's (raw SQL included)."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import ProgrammingError

from tenantry import all_tenants, db, tenant_context

# Row-level security is PostgreSQL's; on SQLite the ORM layer is the only guard, which
# tests/isolation/test_orm.py covers on both databases.
pytestmark = pytest.mark.parametrize("backend", ["postgres"], indirect=True)


@pytest.fixture
def pg(session):
    return session


def test_the_app_role_is_neither_superuser_nor_bypassrls(pg):
    row = pg.execute(
        text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
    ).one()
    assert tuple(row) == (False, False)


def test_raw_sql_in_a_tenant_context_returns_only_that_tenants_rows(pg, acme, bravo):
    with tenant_context(acme.tenant):
        titles = pg.scalars(text("SELECT title FROM notes_note ORDER BY title")).all()
    assert titles == ["acme-note-0", "acme-note-1", "acme-note-2"]


def test_raw_sql_on_a_bare_connection_sees_nothing_without_a_tenant(pg, acme):
    with db.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM notes_note")).scalar() == 0


def test_raw_insert_of_another_tenants_row_is_refused_by_the_policy(pg, acme, bravo):
    with tenant_context(acme.tenant), pytest.raises(ProgrammingError, match="row-level security"):
        pg.execute(
            text(
                "INSERT INTO notes_note (tenant_id, title, body, tags, created_at, updated_at) "
                "VALUES (:t, 'x', '', '', now(), now())"
            ),
            {"t": bravo.tenant.id},
        )
    pg.rollback()


def test_raw_update_cannot_reach_another_tenants_rows(pg, acme, bravo):
    with tenant_context(acme.tenant):
        pg.execute(text("UPDATE notes_note SET title = 'defaced'"))
        pg.commit()
    with tenant_context(bravo.tenant):
        titles = pg.scalars(text("SELECT title FROM notes_note")).all()
    assert "defaced" not in titles


def test_all_tenants_lifts_the_policy_only_inside_its_block(pg, acme, bravo):
    with all_tenants():
        assert pg.scalar(text("SELECT count(*) FROM notes_note")) == 6
    pg.commit()
    with tenant_context(acme.tenant):
        assert pg.scalar(text("SELECT count(*) FROM notes_note")) == 3


def test_the_setting_is_transaction_local_and_gone_after_commit(pg, acme):
    with tenant_context(acme.tenant):
        assert pg.scalar(text("SELECT public.tenantry_current_tenant()")) == acme.tenant.id
        pg.commit()
    with db.engine.connect() as connection:  # likely the same pooled connection
        assert (
            connection.execute(
                text("SELECT coalesce(current_setting('tenantry.tenant_id', true), '')")
            ).scalar()
            == ""
        )


def test_switching_tenant_inside_a_transaction_switches_the_policy(pg, acme, bravo):
    with tenant_context(acme.tenant):
        assert pg.scalar(text("SELECT count(*) FROM notes_note")) == 3
        with tenant_context(bravo.tenant):
            titles = pg.scalars(text("SELECT title FROM notes_note")).all()
    assert all(title.startswith("bravo") for title in titles)


def test_raw_sql_on_the_sessions_connection_follows_a_tenant_switch(pg, acme, bravo):
    """Re-synced per statement at the connection, not only for ORM statements and flushes."""
    raw = "SELECT title FROM notes_note"
    with tenant_context(acme.tenant):
        assert len(pg.connection().execute(text(raw)).all()) == 3
        with tenant_context(bravo.tenant):
            titles = pg.connection().exec_driver_sql(raw).scalars().all()
            assert sorted(titles) == ["bravo-note-0", "bravo-note-1", "bravo-note-2"]
        titles = pg.connection().exec_driver_sql(raw).scalars().all()
    assert sorted(titles) == ["acme-note-0", "acme-note-1", "acme-note-2"]


def test_raw_sql_after_a_savepoint_rollback_is_still_confined(pg, acme, bravo):
    with tenant_context(acme.tenant):
        pg.connection().exec_driver_sql("SELECT 1")
        savepoint = pg.begin_nested()
        with tenant_context(bravo.tenant):
            pg.connection().exec_driver_sql("SELECT 1")  # sets bravo inside the savepoint
            savepoint.rollback()  # ...which the database now undoes
            titles = pg.connection().exec_driver_sql("SELECT title FROM notes_note").scalars()
            assert all(title.startswith("bravo") for title in titles)


@pytest.fixture
def counting_on_enable(monkeypatch):
    """Give tasks an on_enable hook that counts notes with raw SQL, as a plugin might."""
    from tenantry_tasks import plugin

    seen: list[int] = []

    def count(_tenant):
        seen.append(
            db.session.connection().exec_driver_sql("SELECT count(*) FROM notes_note").scalar()
        )

    monkeypatch.setattr(plugin, "on_enable", count)
    return seen


@pytest.fixture
def carol(app, make_tenant, make_user):
    from tests.isolation.conftest import populate

    carol = make_tenant("carol", plugins=["notes"])
    return populate(app, carol, make_user)


def test_a_hook_run_from_the_platform_admin_sees_only_its_tenant(
    app, acme, bravo, carol, counting_on_enable, make_operator
):
    from tenantry.testing import client_for, csrf_token, do_login

    operator = client_for(app, "localhost")
    do_login(operator, make_operator())
    page = f"/admin/tenants/plugins/?id={carol.tenant.id}"
    form = {"do": "enable", "plugin": "tasks", "csrf_token": csrf_token(operator, page)}
    assert operator.post(page, data=form).status_code == 302
    assert counting_on_enable == [3]  # carol's three notes, not all nine


def test_a_hook_run_from_the_cli_sees_its_tenants_rows(app, acme, carol, counting_on_enable):
    with app.app_context():
        result = app.test_cli_runner().invoke(
            args=["plugins", "enable", "tasks", "--tenant", "carol"]
        )
    assert result.exit_code == 0, result.output
    assert counting_on_enable == [3]  # carol's own notes, not none
