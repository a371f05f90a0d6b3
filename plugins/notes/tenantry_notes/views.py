"""The notes pages on a tenant host: list, read, write, delete (login required)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from tenantry import db, gettext, members_only, paginate
from tenantry_notes import service
from tenantry_notes.forms import NoteForm
from tenantry_notes.models import Note
from tenantry_notes.render import note_html

bp = members_only(Blueprint("notes", __name__, template_folder="templates"))


def _get(note_id: int) -> Note:
    note = db.session.get(Note, note_id)  # another tenant's id is simply not found
    if note is None:
        abort(404, description=gettext("There is no such note."))
    return note


@bp.get("/")
def index():
    q, tag = request.args.get("q", ""), request.args.get("tag", "")
    page = paginate(
        db.session,
        service.search(q, tag),
        request.args.get("page", 1, type=int),
        service.settings().per_page,
    )
    return render_template("notes/index.html", page=page, q=q, tag=tag)


@bp.route("/new", methods=["GET", "POST"])
def new():
    return _form_page(None)


@bp.get("/<int:note_id>")
def show(note_id: int):
    note = _get(note_id)
    html = note_html(note, service.settings().allow_markdown)
    return render_template("notes/show.html", note=note, html=html)


@bp.route("/<int:note_id>/edit", methods=["GET", "POST"])
def edit(note_id: int):
    return _form_page(_get(note_id))


def _form_page(note: Note | None):
    """Write a new note (``note`` is None) or change one; the service applies the rules."""
    form = NoteForm(obj=note, tags=", ".join(note.tag_list)) if note else NoteForm()
    if form.validate_on_submit():
        try:
            if note is None:
                saved = service.create(form.data, current_user.user)
            else:
                saved = service.update(note, form.data)
            db.session.commit()
        except service.NoteInvalid as error:
            db.session.rollback()
            for field, message in error.errors.items():
                getattr(form, field).errors = [message]
        else:
            flash(gettext("Note saved.") if note else gettext("Note created."), "success")
            return redirect(url_for(".show", note_id=saved.id))
    return render_template("notes/form.html", form=form, note=note)


@bp.post("/<int:note_id>/delete")
def delete(note_id: int):
    service.delete(_get(note_id))
    db.session.commit()
    flash(gettext("Note deleted."), "success")
    return redirect(url_for(".index"))
