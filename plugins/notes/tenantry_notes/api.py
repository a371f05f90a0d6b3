"""JSON API under /notes/api/: session or ``Authorization: Bearer`` token.

Each view declares its contract with ``tenantry.api_operation``: the core checks
the body and query against these models (422 with one message per field) and
describes them in the site's OpenAPI document. Another tenant's note id answers
404, exactly like a missing one: the session layer never finds it.
"""

from __future__ import annotations

from flask import Blueprint, url_for
from flask_login import current_user

from tenantry import api_operation, db, paginate
from tenantry_notes import service
from tenantry_notes.schemas import NoteIn, NoteOut, NotePage, NotePatch, NoteQuery
from tenantry_notes.views import _get

api = Blueprint("api", __name__)


@api.get("/notes")
@api_operation("List notes, newest first", query=NoteQuery, response=NotePage)
def list_notes(query: NoteQuery) -> NotePage:
    page = paginate(db.session, service.search(query.q, query.tag), query.page, query.per_page)
    return NotePage(items=[NoteOut.of(note) for note in page.items], **page.meta())


@api.post("/notes")
@api_operation(
    "Write a note",
    body=NoteIn,
    response=NoteOut,
    status=201,
    headers={"Location": "The new note's URL in this API."},
)
def create_note(body: NoteIn):
    note = service.create(body.model_dump(), current_user.user)
    db.session.commit()
    return NoteOut.of(note), 201, {"Location": url_for(".get_note", note_id=note.id)}


@api.get("/notes/<int:note_id>")
@api_operation("Read one note", response=NoteOut)
def get_note(note_id: int) -> NoteOut:
    return NoteOut.of(_get(note_id))


@api.patch("/notes/<int:note_id>")
@api_operation("Change a note: only the fields sent change", body=NotePatch, response=NoteOut)
def patch_note(note_id: int, body: NotePatch) -> NoteOut:
    note = service.update(_get(note_id), body.model_dump(exclude_unset=True))
    db.session.commit()
    return NoteOut.of(note)


@api.delete("/notes/<int:note_id>")
@api_operation("Delete a note (its tasks lose the link)", status=204)
def delete_note(note_id: int) -> None:
    service.delete(_get(note_id))
    db.session.commit()
