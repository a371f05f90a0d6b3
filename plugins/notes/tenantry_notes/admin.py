"""Admin views: a tenant's own notes (tenant admin); every tenant's notes (platform, read-only).

Writes go through ``service`` like the pages' and the API's: same checks, same signals.
"""

from __future__ import annotations

from typing import Any

from flask_login import current_user

from tenantry import lazy_gettext as _l
from tenantry.admin import ModelView, tenant_column
from tenantry_notes import service
from tenantry_notes.models import Note


class TenantNotesView(ModelView):
    column_list = ("title", "tags", "author", "updated_at")
    column_searchable_list = ("title", "body", "tags")
    column_filters = ("updated_at", "created_at")
    column_default_sort = ("updated_at", True)
    form_columns = ("title", "body", "tags")
    done_messages = {
        "create": _l("Note “{name}” created."),
        "update": _l("Note “{name}” saved."),
        "delete": _l("Note “{name}” deleted."),
    }

    def create(self, form: Any) -> Note:
        return service.create(form.data, current_user.user)

    def update(self, form: Any, model: Note) -> None:
        service.update(model, form.data)

    def delete(self, model: Note) -> None:
        service.delete(model)


class PlatformNotesView(ModelView):
    can_create = can_edit = can_delete = False
    column_list = ("tenant_id", "title", "tags", "updated_at")
    column_labels = {"tenant_id": "Tenant"}
    column_formatters = {"tenant_id": tenant_column}
    column_filters = ("tenant_id", "updated_at")
    column_searchable_list = ("title",)


def tenant_views() -> list[ModelView]:
    return [TenantNotesView(Note, name="Notes", endpoint="notes_note")]


def platform_views() -> list[ModelView]:
    return [PlatformNotesView(Note, name="Notes", endpoint="notes_note", category="Plugin data")]
