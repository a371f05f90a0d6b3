"""Probes that try to reach another tenant's rows through the ORM. Each must fail."""

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, joinedload, selectinload

from tenantry import NoTenantError, TenantViolation, all_tenants, db, tenant_context
from tenantry.auth.models import ApiToken, User
from tenantry.pagination import paginate
from tenantry_notes.models import Note
from tenantry_tasks.models import Task


def titles(rows):
    return sorted(row.title for row in rows)


def test_select_sees_only_the_current_tenant(session, acme, bravo):
    with tenant_context(acme.tenant):
        assert titles(session.scalars(select(Note))) == [f"acme-note-{i}" for i in range(3)]
    with tenant_context(bravo.tenant):
        assert titles(session.scalars(select(Note))) == [f"bravo-note-{i}" for i in range(3)]


def test_session_get_of_another_tenants_id_finds_nothing(session, acme, bravo):
    with tenant_context(acme.tenant):
        assert session.get(Note, bravo.note_ids[0]) is None
        assert session.get(Note, acme.note_ids[0]) is not None


def test_session_get_from_the_identity_map_is_checked_too(session, acme, bravo):
    with all_tenants():
        loaded = session.get(Note, bravo.note_ids[0])  # now in the identity map
        assert loaded is not None
    with tenant_context(acme.tenant):
        assert session.get(Note, bravo.note_ids[0]) is None


def test_joins_are_confined_on_both_sides(session, acme, bravo):
    with tenant_context(acme.tenant):
        rows = session.execute(select(Task.title, Note.title).join(Note, Task.note_id == Note.id))
        assert sorted(rows) == [("acme-task-0", "acme-note-0"), ("acme-task-1", "acme-note-1")]
        cross = select(Task).join(Note, Note.tenant_id != Task.tenant_id)
        assert session.scalars(cross).all() == []


def test_aliases_are_confined(session, acme, bravo):
    other = aliased(Note)
    with tenant_context(acme.tenant):
        pairs = session.execute(select(Note.title, other.title).join(other, other.id != Note.id))
        assert all(a.startswith("acme") and b.startswith("acme") for a, b in pairs)


def test_subqueries_and_counts_are_confined(session, acme, bravo):
    with tenant_context(acme.tenant):
        linked = select(Task.note_id).scalar_subquery()
        assert titles(session.scalars(select(Note).where(Note.id.in_(linked)))) == [
            "acme-note-0",
            "acme-note-1",
        ]
        assert session.scalar(select(func.count()).select_from(Note)) == 3
        page = paginate(session, select(Note), per_page=2)
        assert page.total == 3 and len(page.items) == 2


def test_relationship_loads_are_confined(session, acme, bravo):
    with tenant_context(acme.tenant):
        user = session.scalars(select(User).options(selectinload(User.tokens))).one()
        assert [t.name for t in user.tokens] == ["probe"]
        tasks = session.scalars(select(Task).options(joinedload(Task.note))).unique().all()
        assert {t.note.title for t in tasks if t.note_id} == {"acme-note-0", "acme-note-1"}


def test_a_buggy_fixture_cannot_point_a_row_at_another_tenants_row(session, acme, bravo):
    """Composite foreign keys: the database itself refuses a cross-tenant reference."""
    with all_tenants(), pytest.raises(IntegrityError):
        session.add(Task(tenant_id=acme.tenant.id, title="bad", note_id=bravo.note_ids[0]))
        session.flush()
    session.rollback()


def test_bulk_update_and_delete_touch_only_the_current_tenant(session, acme, bravo):
    with tenant_context(acme.tenant):
        session.execute(update(Note).values(title="overwritten"))
        session.execute(delete(Task))
        session.commit()
    with tenant_context(bravo.tenant):
        assert titles(session.scalars(select(Note))) == [f"bravo-note-{i}" for i in range(3)]
        assert len(session.scalars(select(Task)).all()) == 3  # two linked + the on_enable one


def test_flushing_a_row_of_another_tenant_raises(session, acme, bravo):
    with tenant_context(acme.tenant), pytest.raises(TenantViolation):
        session.add(Note(title="smuggled", tenant_id=bravo.tenant.id))
        session.flush()
    session.rollback()


def test_moving_a_row_to_another_tenant_raises(session, acme, bravo):
    with tenant_context(acme.tenant):
        note = session.get(Note, acme.note_ids[0])
        note.tenant_id = bravo.tenant.id
        with pytest.raises(TenantViolation, match="cannot move"):
            session.flush()
    session.rollback()


def test_changing_another_tenants_loaded_row_raises(session, acme, bravo):
    with all_tenants():
        foreign = session.get(Note, bravo.note_ids[0])
    with tenant_context(acme.tenant):
        foreign.title = "defaced"
        with pytest.raises(TenantViolation):
            session.flush()
    session.rollback()


def test_new_rows_take_the_tenant_of_the_context(session, acme):
    with tenant_context(acme.tenant):
        note = Note(title="fresh")
        session.add(note)
        session.commit()
        assert note.tenant_id == acme.tenant.id


def test_queries_without_a_tenant_raise(session, acme):
    with pytest.raises(NoTenantError):
        session.scalars(select(Note)).all()
    with pytest.raises(NoTenantError):
        session.get(Note, acme.note_ids[0])
    with pytest.raises(NoTenantError):
        session.execute(update(Note).values(title="x"))
    session.rollback()


def test_writes_without_a_tenant_raise(session):
    with pytest.raises(NoTenantError):
        session.add(Note(title="orphan"))
        session.flush()
    session.rollback()


def test_all_tenants_sees_everything_only_inside_its_block(session, acme, bravo):
    with all_tenants():
        assert session.scalar(select(func.count()).select_from(Note)) == 6
    with pytest.raises(NoTenantError):
        session.scalars(select(Note)).all()


def test_the_tenant_id_is_a_bound_parameter_not_part_of_the_cached_sql(session, acme, bravo):
    query = select(Note.title).order_by(Note.id)
    with tenant_context(acme.tenant):
        first = session.scalars(query).all()
    with tenant_context(bravo.tenant):
        second = session.scalars(query).all()
    assert all(t.startswith("acme") for t in first)
    assert all(t.startswith("bravo") for t in second)
    compiled = str(query.compile(db.engine))
    assert str(acme.tenant.id) not in compiled.replace("notes_note", "")


def test_tokens_of_one_tenant_are_invisible_to_another(session, acme, bravo):
    with tenant_context(bravo.tenant):
        found = session.scalar(
            select(ApiToken).where(ApiToken.token_hash == ApiToken.digest(acme.token))
        )
        assert found is None


def test_lazy_loads_are_confined_to_the_tenant_current_when_they_run(session, acme, bravo):
    with tenant_context(acme.tenant):
        task = session.get(Task, acme.task_ids[0])
        assert "note" not in task.__dict__  # not loaded yet
    with tenant_context(bravo.tenant):
        assert task.note is None  # acme's note is not bravo's to see
    session.expire(task, ["note"])
    with pytest.raises(NoTenantError):
        _ = task.note
    with tenant_context(acme.tenant):
        session.expire(task, ["note"])
        assert task.note.title == "acme-note-0"
