"""Writing notes: one place for the rules the HTML views and the JSON API share."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import joinedload

from tenantry import db, plugin_settings
from tenantry.auth.models import User
from tenantry_notes.models import Note
from tenantry_notes.settings import NotesSettings
from tenantry_notes.signals import note_created, note_deleted


class NoteInvalid(Exception):
    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def settings() -> NotesSettings:
    return plugin_settings("notes") or NotesSettings()


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


def _check_body(body: str) -> None:
    limit = settings().max_note_length
    if len(body) > limit:
        raise NoteInvalid({"body": f"at most {limit} characters (this one has {len(body)})"})


def create(values: dict[str, Any], author: User | None) -> Note:
    _check_body(values.get("body", ""))
    note = Note(
        title=values["title"],
        body=values.get("body", ""),
        tags=Note.normalise_tags(values.get("tags", "")),
        author=author,
    )
    db.session.add(note)
    db.session.flush()
    note_created.send(note)
    db.session.commit()
    return note


def update(note: Note, values: dict[str, Any]) -> Note:
    if "body" in values and values["body"] is not None:
        _check_body(values["body"])
        note.body = values["body"]
    if values.get("title") is not None:
        note.title = values["title"]
    if values.get("tags") is not None:
        note.tags = Note.normalise_tags(values["tags"])
    db.session.commit()
    return note


def delete(note: Note) -> None:
    note_deleted.send(note)
    db.session.delete(note)
    db.session.commit()
