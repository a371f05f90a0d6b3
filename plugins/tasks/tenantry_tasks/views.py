"""Task pages on a tenant host: list, add, edit, tick off, delete (login required)."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from tenantry import ValidationFailed, db, gettext, members_only, plugin_settings
from tenantry_notes.models import Note
from tenantry_tasks import service
from tenantry_tasks.forms import TaskForm
from tenantry_tasks.models import Task
from tenantry_tasks.settings import TasksSettings

bp = members_only(Blueprint("tasks", __name__, template_folder="templates"))


def _form(task: Task | None = None) -> TaskForm:
    form = TaskForm(obj=task)
    notes = db.session.execute(select(Note.id, Note.title).order_by(Note.title)).all()
    form.note_id.choices = [(0, "— no note —"), *[(n.id, n.title) for n in notes]]
    if task is None and request.method == "GET":
        form.note_id.data = request.args.get("note", 0, type=int)
        days = plugin_settings(TasksSettings).default_due_days
        if days is not None:
            form.due.data = date.today() + timedelta(days=days)
    return form


def _get(task_id: int) -> Task:
    task = db.session.get(Task, task_id)
    if task is None:
        abort(404, description=gettext("There is no such task."))
    return task


def _listing(form: TaskForm, status: int = 200):
    query = select(Task).order_by(Task.done, Task.due.is_(None), Task.due, Task.id.desc())
    if not plugin_settings(TasksSettings).show_completed:
        query = query.where(Task.done.is_(False))
    tasks = db.session.scalars(query).all()
    return render_template("tasks/index.html", tasks=tasks, form=form), status


def _saved(form: TaskForm, write) -> bool:
    """Run one write through the service and commit; its refusals go under the fields."""
    try:
        write()
        db.session.commit()
        return True
    except ValidationFailed as error:
        db.session.rollback()
        for name, message in error.errors.items():
            getattr(form, name).errors = [message]
        return False


@bp.get("/")
def index():
    return _listing(_form())


@bp.post("/")
def create():
    form = _form()
    if form.validate_on_submit() and _saved(
        form, lambda: service.create(form.title.data, form.due.data, form.note_id.data)
    ):
        flash(gettext("Task added."), "success")
        return redirect(url_for(".index"))
    return _listing(form, 422)


@bp.route("/<int:task_id>/edit", methods=["GET", "POST"])
def edit(task_id: int):
    task = _get(task_id)
    form = _form(task)
    if form.validate_on_submit() and _saved(
        form, lambda: service.update(task, form.title.data, form.due.data, form.note_id.data)
    ):
        flash(gettext("Task saved."), "success")
        return redirect(url_for(".index"))
    if request.method == "GET":
        form.note_id.data = task.note_id or 0
    return render_template("tasks/edit.html", form=form, task=task)


@bp.post("/<int:task_id>/toggle")
def toggle(task_id: int):
    task = _get(task_id)
    service.set_done(task, not task.done)
    db.session.commit()
    return redirect(request.referrer if _same_site(request.referrer) else url_for(".index"))


@bp.post("/<int:task_id>/delete")
def delete(task_id: int):
    service.delete(_get(task_id))
    db.session.commit()
    flash(gettext("Task deleted."), "success")
    return redirect(url_for(".index"))


def _same_site(url: str | None) -> bool:
    return bool(url) and url.startswith(request.host_url)
