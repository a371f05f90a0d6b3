"""Task pages on a tenant host: list, add, edit, tick off, delete (login required)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from tenantry import db, plugin_settings
from tenantry.auth import members_only
from tenantry_notes.models import Note
from tenantry_tasks.forms import TaskForm
from tenantry_tasks.models import Task
from tenantry_tasks.settings import TasksSettings

bp = members_only(Blueprint("tasks", __name__, template_folder="templates"))


def settings() -> TasksSettings:
    return plugin_settings("tasks") or TasksSettings()


def _form(task: Task | None = None) -> TaskForm:
    form = TaskForm(obj=task)
    notes = db.session.execute(select(Note.id, Note.title).order_by(Note.title)).all()
    form.note_id.choices = [(0, "— no note —"), *[(n.id, n.title) for n in notes]]
    if task is None and request.method == "GET":
        form.note_id.data = request.args.get("note", 0, type=int)
        if settings().default_due_days is not None:
            form.due.data = date.today() + timedelta(days=settings().default_due_days)
    return form


def _get(task_id: int) -> Task:
    task = db.session.get(Task, task_id)
    if task is None:
        abort(404, description="There is no such task.")
    return task


def _save(task: Task, form: TaskForm) -> None:
    task.title = form.title.data.strip()
    task.due = form.due.data
    task.note_id = form.note_id.data or None  # choices hold only this tenant's notes


@bp.get("/")
def index():
    query = select(Task).order_by(Task.done, Task.due.is_(None), Task.due, Task.id.desc())
    if not settings().show_completed:
        query = query.where(Task.done.is_(False))
    return render_template("tasks/index.html", tasks=db.session.scalars(query).all(), form=_form())


@bp.post("/")
def create():
    form = _form()
    if not form.validate_on_submit():
        tasks = db.session.scalars(select(Task).order_by(Task.done, Task.id.desc())).all()
        return render_template("tasks/index.html", tasks=tasks, form=form), 422
    task = Task()
    _save(task, form)
    db.session.add(task)
    db.session.commit()
    flash("Task added.", "success")
    return redirect(url_for(".index"))


@bp.route("/<int:task_id>/edit", methods=["GET", "POST"])
def edit(task_id: int):
    task = _get(task_id)
    form = _form(task)
    if form.validate_on_submit():
        _save(task, form)
        db.session.commit()
        flash("Task saved.", "success")
        return redirect(url_for(".index"))
    if request.method == "GET":
        form.note_id.data = task.note_id or 0
    return render_template("tasks/edit.html", form=form, task=task)


@bp.post("/<int:task_id>/toggle")
def toggle(task_id: int):
    task = _get(task_id)
    task.done = not task.done
    task.completed_at = datetime.now(UTC) if task.done else None
    db.session.commit()
    return redirect(request.referrer if _same_site(request.referrer) else url_for(".index"))


@bp.post("/<int:task_id>/delete")
def delete(task_id: int):
    db.session.delete(_get(task_id))
    db.session.commit()
    flash("Task deleted.", "success")
    return redirect(url_for(".index"))


def _same_site(url: str | None) -> bool:
    return bool(url) and url.startswith(request.host_url)
