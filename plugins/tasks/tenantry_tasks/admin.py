"""Admin views: a tenant's own tasks (tenant admin); every tenant's tasks (platform, read-only)."""

from tenantry.admin.base import ModelView, tenant_column
from tenantry_tasks.models import Task


class TenantTasksView(ModelView):
    column_list = ("title", "done", "due", "note", "created_at")
    column_searchable_list = ("title",)
    column_filters = ("done", "due")
    form_columns = ("title", "done", "due")


class PlatformTasksView(ModelView):
    can_create = can_edit = can_delete = False
    column_list = ("tenant_id", "title", "done", "due")
    column_labels = {"tenant_id": "Tenant"}
    column_formatters = {"tenant_id": tenant_column}
    column_filters = ("tenant_id", "done")


def tenant_views():
    return [TenantTasksView(Task, name="Tasks", endpoint="tasks_task")]


def platform_views():
    return [PlatformTasksView(Task, name="Tasks", endpoint="tasks_task", category="Plugin data")]
