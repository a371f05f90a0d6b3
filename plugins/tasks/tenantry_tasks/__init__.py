"""Tasks: a plugin that requires notes.

Exercises what a dependent plugin needs: ``requires`` on another plugin's
distribution (load order, enable-with, refuse-disable), a composite foreign key
into the other plugin's table, a receiver of its signal, an ``on_enable`` hook,
settings, slots with keyword context, and admin views.
"""

from __future__ import annotations

from datetime import date

from flask import render_template
from flask_login import current_user
from sqlalchemy import select

from tenantry import NavItem, Plugin, Slot, TenantRef, cache, db
from tenantry import lazy_gettext as _l
from tenantry.signals import demo_seeded
from tenantry_notes.models import Note
from tenantry_notes.signals import note_deleted
from tenantry_tasks import service
from tenantry_tasks.models import Task
from tenantry_tasks.settings import TasksSettings
from tenantry_tasks.views import bp

#: Seconds a dashboard fragment is kept at most (writes drop it sooner).
DASHBOARD_TTL = 60


def open_tasks() -> str:
    if current_user.user is None:
        return ""
    # The same for every user of the tenant: cached per tenant revision and day (what is
    # overdue changes at midnight), dropped by every write.
    return cache.get_or_set(
        service.DASHBOARD_CACHE,
        f"open:{date.today()}",
        DASHBOARD_TTL,
        _render_open,
        per_revision=True,
    )


def _render_open() -> str:
    tasks = db.session.scalars(
        select(Task).where(Task.done.is_(False)).order_by(Task.due.is_(None), Task.due).limit(5)
    ).all()
    return render_template("tasks/_open.html", tasks=tasks)


def tasks_of_note(note: Note) -> str:
    if current_user.user is None:
        return ""
    tasks = db.session.scalars(select(Task).where(Task.note_id == note.id)).all()
    return render_template("tasks/_for_note.html", tasks=tasks, note_id=note.id)


def first_task(_tenant: TenantRef) -> None:
    if db.session.scalar(select(Task.id).limit(1)) is None:
        service.create("Link a task to a note from the note's page")


def seed_demo(_tenant: object) -> None:
    note = db.session.scalar(select(Note).where(Note.title == "Meeting notes"))
    for title in ("Send the meeting summary", "Book the room for next week"):
        if db.session.scalar(select(Task.id).where(Task.title == title)) is None:
            service.create(title, note_id=note.id if note else None)


plugin = Plugin(
    name="tasks",
    title="Tasks",
    description="To-dos with due dates, linked to notes.",
    requires=["tenantry>=0.2,<1", "tenantry-notes>=1.0"],
    blueprint=bp,
    settings=TasksSettings,
    nav=[NavItem(_l("Tasks"), "tasks.index")],
    slots={"tenant_dashboard": Slot(open_tasks, order=20), "note_detail": tasks_of_note},
    receivers=[
        (note_deleted, lambda note, **_: service.unlink_note(note)),
        (demo_seeded, seed_demo),
    ],
    tenant_admin_views="tenantry_tasks.admin:tenant_views",
    platform_admin_views="tenantry_tasks.admin:platform_views",
    on_enable=first_task,
)
