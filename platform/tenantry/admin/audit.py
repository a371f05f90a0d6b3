"""The audit logs in both admins, read-only: a tenant's admins see their tenant's entries
(the session layer confines the view, as every other /manage view); operators see every
tenant's entries, filterable by tenant, actor and action, and the platform's own events."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from tenantry.admin.base import ModelView, tenant_column


def _detail(_view: Any, _context: Any, model: Any, _name: str) -> Markup:
    items = (model.detail or {}).items()
    return Markup("<br>").join(Markup("{}: {}").format(key, value) for key, value in items)


def _target(_view: Any, _context: Any, model: Any, _name: str) -> str:
    if not model.target_kind:
        return ""
    return f"{model.target_kind} {model.target_label or model.target_id or ''}".strip()


class AuditLogView(ModelView):
    can_create = False
    can_edit = False
    can_delete = False
    can_view_details = True
    page_size = 50
    column_default_sort = ("id", True)
    column_list = ("at", "actor_label", "action", "target", "address", "detail")
    column_labels = {"at": "When", "actor_label": "Who", "address": "From"}
    column_formatters = {"detail": _detail, "target": _target}
    column_searchable_list = ("actor_label", "action", "target_label")
    column_filters = ("action", "actor_label", "actor_kind", "at")
    action_disallowed_list = ("delete",)


class PlatformAuditLogView(AuditLogView):
    """Every tenant's entries, with the tenant's slug."""

    column_list = ("at", "tenant_id", *AuditLogView.column_list[1:])
    column_labels = {**AuditLogView.column_labels, "tenant_id": "Tenant"}
    column_formatters = {**AuditLogView.column_formatters, "tenant_id": tenant_column}
    column_filters = ("tenant_id", *AuditLogView.column_filters)
