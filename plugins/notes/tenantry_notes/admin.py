"""Admin views: a tenant's own notes (tenant admin); every tenant's notes (platform, read-only)."""

from __future__ import annotations

from flask_login import current_user

from tenantry.admin.base import ModelView, tenant_column
from tenantry_notes.models import Note


class TenantNotesView(ModelView):
    column_list = ("title", "tags", "author", "updated_at")
    column_searchable_list = ("title", "body", "tags")
    column_filters = ("updated_at", "created_at")
    column_default_sort = ("updated_at", True)
    form_columns = ("title", "body", "tags")

    def on_model_change(self, form, model, is_created):
        # The same rules as the notes pages: normalised tags, the writer as author.
        model.tags = Note.normalise_tags(model.tags or "")
        if is_created:
            model.author = current_user.user


class PlatformNotesView(ModelView):
    can_create = can_edit = can_delete = False
    column_list = ("tenant_id", "title", "tags", "updated_at")
    column_labels = {"tenant_id": "Tenant"}
    column_formatters = {"tenant_id": tenant_column}
    column_filters = ("tenant_id", "updated_at")
    column_searchable_list = ("title",)


def tenant_views():
    return [TenantNotesView(Note, name="Notes", endpoint="notes_note")]


def platform_views():
    return [PlatformNotesView(Note, name="Notes", endpoint="notes_note", category="Plugin data")]
