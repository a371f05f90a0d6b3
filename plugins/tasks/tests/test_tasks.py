"""Tasks: a plugin that needs notes, links to notes, and reacts to notes' signals."""

import re

import pytest
from sqlalchemy import select

from tenantry import db, tenant_context
from tenantry.testing import client_for, csrf_token, do_login
from tenantry_notes.models import Note
from tenantry_tasks.models import Task


@pytest.fixture
def acme(make_tenant):
    return make_tenant("acme", plugins=["tasks"])


@pytest.fixture
def client(app, acme, make_user):
    client = client_for(app, "acme.localhost")
    do_login(client, make_user(acme))
    return client


def add_note(app, tenant, title):
    with app.app_context(), tenant_context(tenant):
        note = Note(title=title)
        db.session.add(note)
        db.session.commit()
        return note.id


def add_task(client, title, note_id=0, due=""):
    token = csrf_token(client, "/tasks/")
    return client.post(
        "/tasks/", data={"title": title, "note_id": note_id, "due": due, "csrf_token": token}
    )


def test_enabling_tasks_enables_notes_and_runs_on_enable(app, client):
    body = client.get("/tasks/").get_data(as_text=True)
    assert "Link a task to a note" in body
    assert client.get("/notes/").status_code == 200


def test_a_task_links_to_a_note_and_shows_on_its_page(app, client, acme):
    note_id = add_note(app, acme, "Roadmap")
    assert add_task(client, "Write it", note_id).status_code == 302
    page = client.get(f"/notes/{note_id}").get_data(as_text=True)
    assert 'data-testid="note-tasks"' in page and "Write it" in page


def test_another_tenants_note_is_not_offered_and_not_accepted(app, client, make_tenant):
    bravo = make_tenant("bravo", plugins=["tasks"])
    foreign = add_note(app, bravo, "bravo secret")
    assert "bravo secret" not in client.get("/tasks/").get_data(as_text=True)
    assert add_task(client, "sneaky", foreign).status_code == 422
    with app.app_context(), tenant_context(bravo):
        assert db.session.scalar(select(Task).where(Task.title == "sneaky")) is None


def test_ticking_a_task_done_and_back(client):
    add_task(client, "Ship")
    page = client.get("/tasks/").get_data(as_text=True)
    toggle = re.findall(r'action="(/tasks/\d+/toggle)"', page)[0]
    client.post(toggle, data={"csrf_token": csrf_token(client, "/tasks/")})
    assert "<del>Ship</del>" in client.get("/tasks/").get_data(as_text=True)


def test_deleting_a_note_unlinks_its_tasks_through_the_signal(app, client, acme):
    note_id = add_note(app, acme, "Doomed")
    add_task(client, "Survivor", note_id)
    client.post(f"/notes/{note_id}/delete", data={"csrf_token": csrf_token(client, "/tasks/")})
    with app.app_context(), tenant_context(acme):
        task = db.session.scalar(select(Task).where(Task.title == "Survivor"))
        assert task is not None and task.note_id is None


def test_another_tenants_task_cannot_be_toggled(app, client, make_tenant, make_user):
    bravo = make_tenant("bravo", plugins=["tasks"])
    with app.app_context(), tenant_context(bravo):
        theirs = db.session.scalar(select(Task.id))
    response = client.post(
        f"/tasks/{theirs}/toggle", data={"csrf_token": csrf_token(client, "/tasks/")}
    )
    assert response.status_code == 404


def test_open_tasks_fill_the_dashboard(client):
    add_task(client, "On the dashboard")
    body = client.get("/").get_data(as_text=True)
    assert 'data-testid="open-tasks"' in body and "On the dashboard" in body


def test_the_dashboard_follows_each_change_to_tasks_at_once(client):
    """The open-tasks fragment is cached; every write drops it."""
    add_task(client, "Soon done")
    assert "Soon done" in client.get("/").get_data(as_text=True)
    add_task(client, "Another")
    assert "Another" in client.get("/").get_data(as_text=True)


def test_the_tenants_settings_apply_to_its_task_list(app, client, acme, set_plugin_settings):
    assert add_task(client, "Done already").status_code == 302
    with app.app_context(), tenant_context(acme):
        task = db.session.scalar(select(Task).where(Task.title == "Done already"))
        task.done = True
        db.session.commit()
    assert "Done already" in client.get("/tasks/").get_data(as_text=True)
    set_plugin_settings(acme, "tasks", {"show_completed": False, "default_due_days": 3})
    page = client.get("/tasks/").get_data(as_text=True)
    assert "Done already" not in page
    due = re.search(r'name="due"[^>]*value="([^"]*)"', page)
    assert due is not None and due.group(1) != ""
