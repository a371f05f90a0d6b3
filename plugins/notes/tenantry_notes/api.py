"""JSON API under /notes/api/: session or ``Authorization: Bearer`` token.

Another tenant's note id answers 404, exactly like a missing one: the session
layer never finds it, so there is nothing to tell apart.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request
from flask_login import current_user
from pydantic import BaseModel, ValidationError

from tenantry import db, paginate
from tenantry_notes import service
from tenantry_notes.models import Note
from tenantry_notes.schemas import NoteIn, NoteOut, NotePatch
from tenantry_notes.views import _get

api = Blueprint("api", __name__)


def _payload(model: type[BaseModel]) -> BaseModel | tuple[dict[str, Any], int]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return {"error": "Unprocessable Entity", "message": "send a JSON object", "errors": {}}, 422
    try:
        return model.model_validate(data)
    except ValidationError as error:
        errors = {".".join(map(str, e["loc"])) or "(body)": e["msg"] for e in error.errors()}
        return {"error": "Unprocessable Entity", "message": "invalid note", "errors": errors}, 422


def _invalid(error: service.NoteInvalid) -> tuple[dict[str, Any], int]:
    return {"error": "Unprocessable Entity", "message": "invalid note", "errors": error.errors}, 422


def _out(note: Note) -> dict[str, Any]:
    return NoteOut.of(note).model_dump(mode="json")


@api.get("/notes")
def list_notes():
    page = paginate(
        db.session,
        service.search(request.args.get("q", ""), request.args.get("tag", "")),
        request.args.get("page", 1, type=int),
        request.args.get("per_page", 20, type=int),
    )
    return {"items": [_out(note) for note in page.items], **page.meta()}


@api.post("/notes")
def create_note():
    body = _payload(NoteIn)
    if isinstance(body, tuple):
        return body
    try:
        note = service.create(body.model_dump(), current_user.user)
        db.session.commit()
    except service.NoteInvalid as error:
        db.session.rollback()
        return _invalid(error)
    return _out(note), 201, {"Location": f"{request.path}/{note.id}"}


@api.get("/notes/<int:note_id>")
def get_note(note_id: int):
    return _out(_get(note_id))


@api.patch("/notes/<int:note_id>")
def patch_note(note_id: int):
    note = _get(note_id)
    body = _payload(NotePatch)
    if isinstance(body, tuple):
        return body
    try:
        service.update(note, body.model_dump(exclude_unset=True))
        db.session.commit()
    except service.NoteInvalid as error:
        db.session.rollback()
        return _invalid(error)
    return _out(note)


@api.delete("/notes/<int:note_id>")
def delete_note(note_id: int):
    service.delete(_get(note_id))
    db.session.commit()
    return "", 204
