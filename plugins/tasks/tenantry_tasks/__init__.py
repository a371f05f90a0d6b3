"""Tasks: a plugin that requires notes.

Exercises what a dependent plugin needs: ``requires`` on another plugin's
distribution (load order, enable-with, refuse-disable), a composite foreign key
into the other plugin's table, a receiver of its signal, an ``on_enable`` hook,
settings, slots and admin views.
"""

from __future__ import annotations

from pathlib import Path

from flask import render_template, request
from flask_login import current_user
from sqlalchemy import select, update

from tenantry import NavItem, Plugin, TenantRef, db
from tenantry.demo import demo_seeded
from tenantry_notes.models import Note
from tenantry_notes.signals import note_deleted
from tenantry_tasks.admin import platform_views, tenant_views
from tenantry_tasks.models import Task
from tenantry_tasks.settings import TasksSettings
from tenantry_tasks.views import bp


def _signed_in() -> bool:
    return current_user.is_authenticated and current_user.user is not None


def open_tasks() -> str:
    if not _signed_in():
        return ""
    tasks = db.session.scalars(
        select(Task).where(Task.done.is_(False)).order_by(Task.due.is_(None), Task.due).limit(5)
    ).all()
    return render_template("tasks/_open.html", tasks=tasks)


def tasks_of_note() -> str:
    note_id = (request.view_args or {}).get("note_id")
    if not _signed_in() or note_id is None:
        return ""
    tasks = db.session.scalars(select(Task).where(Task.note_id == note_id)).all()
    return render_template("tasks/_for_note.html", tasks=tasks, note_id=note_id)


def unlink_tasks(note: Note) -> None:
    """Tasks outlive the note they pointed at; they only lose the link."""
    db.session.execute(update(Task).where(Task.note_id == note.id).values(note_id=None))


def first_task(_tenant: TenantRef) -> None:
    if db.session.scalar(select(Task.id).limit(1)) is None:
        db.session.add(Task(title="Link a task to a note from the note's page"))


def seed_demo(_tenant: object) -> None:
    note = db.session.scalar(select(Note).where(Note.title == "Meeting notes"))
    titles = ["Send the meeting summary", "Book the room for next week"]
    for title in titles:
        if db.session.scalar(select(Task.id).where(Task.title == title)) is None:
            db.session.add(Task(title=title, note_id=note.id if note else None))


plugin = Plugin(
    name="tasks",
    title="Tasks",
    description="To-dos with due dates, linked to notes.",
    requires=["tenantry>=0.1,<1", "tenantry-notes>=1.0"],
    blueprint=bp,
    migrations=Path(__file__).parent / "migrations" / "versions",
    settings=TasksSettings,
    nav=[NavItem("Tasks", "tasks.index")],
    slots={"tenant_dashboard": open_tasks, "note_detail": tasks_of_note},
    receivers=[(note_deleted, lambda note, **_: unlink_tasks(note)), (demo_seeded, seed_demo)],
    tenant_admin_views=tenant_views,
    platform_admin_views=platform_views,
    on_enable=first_task,
)
