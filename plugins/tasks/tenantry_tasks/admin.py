"""Admin views: a tenant's own tasks (tenant admin); every tenant's tasks (platform, read-only).

Writes go through ``service`` like the pages' do.
"""

from __future__ import annotations

from typing import Any

from tenantry import lazy_gettext as _l
from tenantry.admin import ModelView, tenant_column
from tenantry_tasks import service
from tenantry_tasks.models import Task


class TenantTasksView(ModelView):
    column_list = ("title", "done", "due", "note", "created_at")
    column_searchable_list = ("title",)
    column_filters = ("done", "due")
    form_columns = ("title", "done", "due")
    done_messages = {
        "create": _l("Task “{name}” created."),
        "update": _l("Task “{name}” saved."),
        "delete": _l("Task “{name}” deleted."),
    }

    def create(self, form: Any) -> Task:
        task = service.create(form.title.data, form.due.data)
        service.set_done(task, bool(form.done.data))
        return task

    def update(self, form: Any, model: Task) -> None:
        service.update(model, form.title.data, form.due.data, model.note_id, form.done.data)

    def delete(self, model: Task) -> None:
        service.delete(model)


class PlatformTasksView(ModelView):
    can_create = can_edit = can_delete = False
    column_list = ("tenant_id", "title", "done", "due")
    column_labels = {"tenant_id": "Tenant"}
    column_formatters = {"tenant_id": tenant_column}
    column_filters = ("tenant_id", "done")


def tenant_views() -> list[ModelView]:
    return [TenantTasksView(Task, name="Tasks", endpoint="tasks_task")]


def platform_views() -> list[ModelView]:
    return [PlatformTasksView(Task, name="Tasks", endpoint="tasks_task", category="Plugin data")]
