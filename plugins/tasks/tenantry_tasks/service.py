"""Writing tasks: one place for the rules the pages and the admin share.

Each function flushes inside the caller's transaction; the caller commits. A
note link can only name one of the tenant's own notes: the composite foreign
key refuses any other, and ``link`` checks first so the refusal reads well.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlalchemy import select

from tenantry import ValidationFailed, cache, db
from tenantry_notes.models import Note
from tenantry_tasks.models import Task

#: The dashboard's "open tasks" fragment, per tenant revision; every write drops it.
DASHBOARD_CACHE = "tasks.dashboard"


def _changed() -> None:
    db.session.flush()
    cache.invalidate(DASHBOARD_CACHE)


def _title(title: str | None) -> str:
    title = (title or "").strip()
    if not title:
        raise ValidationFailed({"title": "a task needs a title"})
    return title


def _note(note_id: int | None) -> int | None:
    if not note_id:
        return None
    if db.session.scalar(select(Note.id).where(Note.id == note_id)) is None:
        raise ValidationFailed({"note_id": "there is no such note"})
    return note_id


def create(title: str, due: date | None = None, note_id: int | None = None) -> Task:
    task = Task(title=_title(title), due=due, note_id=_note(note_id))
    db.session.add(task)
    _changed()
    return task


def update(
    task: Task, title: str, due: date | None, note_id: int | None, done: bool | None = None
) -> Task:
    task.title = _title(title)
    task.due = due
    task.note_id = _note(note_id)
    if done is not None:
        set_done(task, done)
    _changed()
    return task


def set_done(task: Task, done: bool) -> None:
    """Completing stamps the time; reopening clears it."""
    if task.done != done:
        task.done = done
        task.completed_at = datetime.now(UTC) if done else None
    _changed()


def delete(task: Task) -> None:
    db.session.delete(task)
    _changed()


def unlink_note(note: Note) -> None:
    """Tasks outlive the note they pointed at; they only lose the link."""
    db.session.execute(sa.update(Task).where(Task.note_id == note.id).values(note_id=None))
