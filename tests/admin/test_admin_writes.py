"""The admins write through the same services as the pages, the API and the CLI.

Same rules, same signals, refusals shown in words: never a raw database error.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from tenantry import db, tenant_context
from tenantry.testing import client_for, csrf_token, do_login


@pytest.fixture
def acme(make_tenant):
    return make_tenant("acme", plugins=["tasks"])


@pytest.fixture
def admin(app, acme, make_user):
    client = client_for(app, "acme.localhost")
    do_login(client, make_user(acme, "ann@acme.test", role="admin"))
    return client


def linked_note(app, tenant) -> tuple[int, int]:
    from tenantry_notes.models import Note
    from tenantry_tasks.models import Task

    with app.app_context(), tenant_context(tenant):
        note = Note(title="Roadmap")
        db.session.add(note)
        db.session.flush()
        task = Task(title="Write it", note_id=note.id)
        db.session.add(task)
        db.session.commit()
        return note.id, task.id


def delete_in_admin(client, note_id: int) -> Any:
    token = csrf_token(client, "/manage/notes_note/")
    return client.post(
        "/manage/notes_note/delete/",
        data={"id": str(note_id), "csrf_token": token},
        follow_redirects=True,
    )


def test_deleting_a_linked_note_in_the_admin_unlinks_its_tasks_like_the_page(app, acme, admin):
    from tenantry_tasks.models import Task

    note_id, task_id = linked_note(app, acme)
    page = delete_in_admin(admin, note_id).get_data(as_text=True)
    assert "IntegrityError" not in page and "FOREIGN KEY" not in page.upper()
    with app.app_context(), tenant_context(acme):
        task = db.session.get(Task, task_id)
        assert task is not None and task.note_id is None
        from tenantry_notes.models import Note

        assert db.session.get(Note, note_id) is None


def test_a_note_created_in_the_admin_sends_note_created(app, acme, admin):
    from tenantry_notes.signals import note_created

    seen: list[str] = []

    def receiver(note, **_):
        seen.append(note.title)

    note_created.connect(receiver)
    try:
        token = csrf_token(admin, "/manage/notes_note/new/")
        admin.post(
            "/manage/notes_note/new/",
            data={"title": "From the admin", "body": "", "tags": "", "csrf_token": token},
        )
    finally:
        note_created.disconnect(receiver)
    assert seen == ["From the admin"]


def test_the_admin_applies_the_notes_body_limit_as_a_field_error(
    app, acme, admin, set_plugin_settings
):
    from tenantry_notes.models import Note

    set_plugin_settings(acme, "notes", {"max_note_length": 100})
    token = csrf_token(admin, "/manage/notes_note/new/")
    response = admin.post(
        "/manage/notes_note/new/",
        data={"title": "Long", "body": "x" * 101, "tags": "", "csrf_token": token},
    )
    assert response.status_code == 200
    assert "at most 100 characters" in response.get_data(as_text=True)
    with app.app_context(), tenant_context(acme):
        assert db.session.scalar(select(Note)) is None


def test_a_tenant_admin_cannot_demote_themselves_and_sees_why(app, acme, admin):
    from tenantry.auth.models import User

    with app.app_context(), tenant_context(acme):
        me = db.session.scalar(select(User).where(User.email == "ann@acme.test"))
    page = f"/manage/users/edit/?id={me.id}"
    response = admin.post(
        page,
        data={
            "email": "ann@acme.test",
            "name": "Ann",
            "role": "member",
            "active": "y",
            "csrf_token": csrf_token(admin, page),
        },
        follow_redirects=True,
    )
    assert "cannot remove your own admin rights" in response.get_data(as_text=True)
    with app.app_context(), tenant_context(acme):
        assert db.session.get(User, me.id).role == "admin"


def test_an_operator_creating_a_taken_slug_sees_it_under_the_field(app, make_tenant, make_operator):
    make_tenant("taken")
    client = client_for(app, "localhost")
    do_login(client, make_operator())
    token = csrf_token(client, "/admin/tenants/new/")
    response = client.post(
        "/admin/tenants/new/",
        data={"slug": "taken", "name": "Other", "status": "active", "csrf_token": token},
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "slug &#39;taken&#39; already exists" in body


def test_the_bulk_delete_action_deletes_through_the_service_on_both_databases(app, acme, admin):
    """Flask-Admin posts ids as text; PostgreSQL refused them against an integer key."""
    from tenantry_notes.models import Note

    first, _task = linked_note(app, acme)
    second, _task = linked_note(app, acme)
    token = csrf_token(admin, "/manage/notes_note/")
    response = admin.post(
        "/manage/notes_note/action/",
        data={
            "action": "delete",
            "rowid": [str(first), str(second), "99999999999999999999", "x"],
            "csrf_token": token,
        },
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "2 records were successfully deleted" in response.get_data(as_text=True)
    with app.app_context(), tenant_context(acme):
        assert db.session.scalars(select(Note.id)).all() == []
