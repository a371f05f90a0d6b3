"""Tenant tables keyed ``(tenant_id, id)``, used with a single id (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import NoResultFound
from sqlalchemy.orm import Mapped, mapped_column

from tenantry import Base, TenantScoped, all_tenants, db, tenant_context
from tenantry.auth.models import User
from tenantry_notes.models import Note
from tenantry_tasks.models import Task


@pytest.fixture
def two(make_tenant, make_user):
    acme, globex = make_tenant("acme", plugins=["tasks"]), make_tenant("globex", plugins=["tasks"])
    make_user(acme, "ann@acme.test")
    make_user(globex, "gus@globex.test")
    return acme, globex


def test_every_tenant_table_is_keyed_by_tenant_then_id():
    for model in (User, Note, Task):
        assert [c.name for c in model.__table__.primary_key] == ["tenant_id", "id"]
        assert str(model.__table__.c.id.type) == "BIGINT"


def test_ids_are_unique_in_a_table_across_tenants(app, session, two):
    acme, globex = two
    for tenant in (acme, globex, acme):
        with tenant_context(tenant):
            session.add_all([Note(title=f"{tenant.slug} {n}") for n in range(3)])  # one flush
            session.commit()
    with all_tenants():
        ids = session.scalars(select(Note.id)).all()
    assert len(ids) == len(set(ids)) == 9


def test_a_single_id_finds_the_row_in_the_current_tenant_only(session, two):
    acme, globex = two
    with tenant_context(acme):
        note = Note(title="acme's")
        session.add(note)
        session.commit()
        assert session.get(Note, note.id) is note
        assert session.get(Note, str(note.id)) is note  # as a URL gives it
        assert session.get(Note, (acme.id, note.id)) is note  # the whole key works too
        assert session.get(Note, {"id": note.id}) is note
        assert session.get_one(Note, note.id) is note
    with tenant_context(globex):
        assert session.get(Note, note.id) is None
        with pytest.raises(NoResultFound):
            session.get_one(Note, note.id)


def test_inside_all_tenants_a_single_id_finds_the_row_in_any_tenant(session, two):
    _, globex = two
    with tenant_context(globex):
        note = Note(title="globex's")
        session.add(note)
        session.commit()
        wanted = note.id
    session.expunge_all()
    with all_tenants():
        found = session.get(Note, wanted)
        assert (found.tenant_id, found.title) == (globex.id, "globex's")
        assert session.get(Note, str(wanted)).title == "globex's"  # as a URL gives it
        assert session.get(Note, {"id": wanted}) is found
        assert session.get(Note, wanted + 1000) is None


def test_flushed_updates_and_deletes_name_the_tenant_so_one_shard_gets_them(
    session, two, statements
):
    acme, _ = two
    with tenant_context(acme):
        note = Note(title="draft")
        session.add(note)
        session.commit()
        statements.clear()
        note.title = "final"
        session.flush()
        session.delete(note)
        session.flush()
        session.commit()
    writes = [
        s for s in statements if s.startswith(("UPDATE notes_note", "DELETE FROM notes_note"))
    ]
    assert len(writes) == 2
    assert all("notes_note.tenant_id = " in s and "notes_note.id = " in s for s in writes), writes


def test_relationships_join_on_the_whole_key_and_write_only_their_column(session, two, statements):
    acme, _ = two
    with tenant_context(acme):
        author = session.scalar(select(User))
        note = Note(title="with an author", author=author)
        session.add(note)
        session.commit()
        statements.clear()
        assert note.author is author  # from the identity map: no SQL
        assert statements == []
        note.author = None  # clears author_id, never tenant_id
        session.commit()
        assert (note.author_id, note.tenant_id) == (None, acme.id)
        joined = str(select(Note).join(Note.author).compile(db.engine))
    assert "tenantry_user.tenant_id = notes_note.tenant_id" in joined
    assert "tenantry_user.id = notes_note.author_id" in joined


@pytest.mark.parametrize("column", ["id", "tenant_id"])
def test_a_tenant_model_may_not_declare_its_own_key(column):
    with pytest.raises(TypeError, match=f"declares {column} itself; TenantScoped gives"):
        type(
            "Mine",
            (TenantScoped, Base),
            {
                "__tablename__": "mine_thing",
                "__annotations__": {column: Mapped[int]},
                column: mapped_column(primary_key=True),
            },
        )
    assert "mine_thing" not in Base.metadata.tables


def test_a_mixin_listed_before_tenant_scoped_may_not_bring_its_own_id_either():
    class Columns:
        id: Mapped[int] = mapped_column(primary_key=True)

    with pytest.raises(TypeError, match=r"Mine declares id itself \(through Columns\)"):
        type("Mine", (Columns, TenantScoped, Base), {"__tablename__": "mine_other"})
    assert "mine_other" not in Base.metadata.tables
