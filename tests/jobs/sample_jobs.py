"""Job functions the job tests enqueue: importable by name in the worker subprocess too
(the tests put this folder on its PYTHONPATH)."""

from __future__ import annotations

from typing import Any

from flask import request, url_for
from flask_login import current_user
from sqlalchemy import select, text

from tenantry import current_tenant, db, jobs, signals
from tenantry.tenancy.models import Tenant
from tenantry_notes.models import Note


def what_i_see() -> dict[str, Any]:
    """The tenant's notes as the ORM and as raw SQL give them, and the job's context."""
    raw = db.session.execute(text("SELECT title FROM notes_note ORDER BY title")).scalars()
    job = jobs.running()
    return {
        "tenant": current_tenant.slug,
        "orm": sorted(db.session.scalars(select(Note.title))),
        # Raw SQL is confined by row-level security on PostgreSQL only (see docs/plugins.md).
        "raw": list(raw) if db.engine.dialect.name == "postgresql" else None,
        "host": request.host,
        "link": url_for("notes.index", _external=True),
        "user": current_user.email if current_user.is_authenticated else None,
        "enqueued_revision": job.revision if job else None,
        "revision": current_tenant.revision,
    }


def seed_demo() -> None:
    """Send demo_seeded for the current tenant: notes' and tasks' receivers add rows."""
    signals.demo_seeded.send(db.session.get(Tenant, current_tenant.id))


def write_note(title: str) -> int:
    note = Note(title=title)
    db.session.add(note)
    db.session.flush()
    return note.id


def fail(message: str) -> None:
    db.session.add(Note(title="written before failing"))
    db.session.flush()
    raise RuntimeError(message)
