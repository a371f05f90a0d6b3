"""Writing notes: the one place for the rules the pages, the JSON API and the admin share.

Each function flushes and sends its signal inside the caller's transaction;
the caller commits. Invalid input raises ``NoteInvalid`` (a
``tenantry.ValidationFailed``), which every entry point shows per field.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import joinedload

from tenantry import User, ValidationFailed, audit, cache, db, plugin_settings
from tenantry_notes.models import Note
from tenantry_notes.schemas import trimmed
from tenantry_notes.settings import NotesSettings
from tenantry_notes.signals import note_created, note_deleted

#: The dashboard's "recent notes" fragment, per tenant revision; every write drops it.
DASHBOARD_CACHE = "notes.dashboard"


class NoteInvalid(ValidationFailed):
    """A note that breaks a rule; ``errors`` maps each field to what is wrong."""


def settings() -> NotesSettings:
    return plugin_settings(NotesSettings)


def search(q: str = "", tag: str = "") -> Select[tuple[Note]]:
    """Notes matching ``q`` in title, body or tags, newest first (scoped to the tenant)."""
    query = (
        select(Note)
        .options(joinedload(Note.author))  # authors in the same query: no second round trip
        .order_by(Note.updated_at.desc(), Note.id.desc())
    )
    if q:
        pattern = f"%{q.strip()[:100]}%"
        query = query.where(
            or_(Note.title.ilike(pattern), Note.body.ilike(pattern), Note.tags.ilike(pattern))
        )
    if tag:
        query = query.where(("," + Note.tags + ",").like(f"%,{tag.strip().lower()},%"))
    return query


def _check(values: dict[str, Any]) -> None:
    errors = {}
    title = values.get("title")
    if title is not None and not trimmed(title):
        errors["title"] = "a note needs a title"
    body = values.get("body")
    limit = settings().max_note_length
    if body is not None and len(body) > limit:
        errors["body"] = f"at most {limit} characters (this one has {len(body)})"
    if errors:
        raise NoteInvalid(errors)


def create(values: dict[str, Any], author: User | None) -> Note:
    """A new note from ``title``, ``body`` and ``tags`` (a list or comma-separated text)."""
    title, body = values.get("title") or "", values.get("body") or ""
    _check({"title": title, "body": body})
    note = Note(
        title=trimmed(title),
        body=body,
        tags=Note.normalise_tags(values.get("tags") or ""),
        author=author,
    )
    db.session.add(note)
    db.session.flush()
    cache.invalidate(DASHBOARD_CACHE)
    note_created.send(note)
    return note


def update(note: Note, values: dict[str, Any]) -> Note:
    """Change what ``values`` gives (None or absent leaves a field as it is)."""
    _check(values)
    if values.get("title") is not None:
        note.title = trimmed(values["title"])
    if values.get("body") is not None:
        note.body = values["body"]
    if values.get("tags") is not None:
        note.tags = Note.normalise_tags(values["tags"])
    db.session.flush()
    cache.invalidate(DASHBOARD_CACHE)
    return note


def delete(note: Note) -> None:
    """Sent before the row goes, so receivers (tasks) can unlink theirs in the same
    transaction; the tenant's audit log keeps who deleted which note."""
    note_deleted.send(note)
    audit("notes.note_deleted", note, label=note.title)
    db.session.delete(note)
    db.session.flush()
    cache.invalidate(DASHBOARD_CACHE)
