"""The plugin forms of both admins: enable, disable, and one tenant's settings of a plugin.

A settings form is built from the plugin's pydantic model; what is posted goes
through ``plugins.enablement`` exactly as the CLI's changes do. Operators also
lock and unlock a plugin for a tenant; a tenant's admins see locked ones read-only.
"""

from __future__ import annotations

import json
from typing import Any, get_args

from flask import flash, request
from flask_babel import gettext
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from sqlalchemy import select

from tenantry.db import db
from tenantry.plugins import enablement
from tenantry.plugins.models import TenantPlugin
from tenantry.plugins.registry import PluginRegistry
from tenantry.tenancy.models import Tenant

NUMBERS = (int, float)


def _plain(annotation: Any) -> Any:
    """``int | None`` is edited like ``int``, an empty input meaning None."""
    args = [arg for arg in get_args(annotation) if arg is not type(None)]
    return args[0] if len(args) == 1 and type(None) in get_args(annotation) else annotation


def _kind(info: FieldInfo) -> str:
    annotation = _plain(info.annotation)
    return "checkbox" if annotation is bool else "number" if annotation in NUMBERS else "text"


def fields(model: type[BaseModel] | None, values: dict[str, Any]) -> list[dict[str, Any]]:
    """What the template needs per field: name, label, help, kind, whether it may be left
    empty, and the current value (an empty optional field shows empty, never "null")."""
    if model is None:
        return []
    rows = []
    for name, info in model.model_fields.items():
        kind = _kind(info)
        value = values.get(name, info.get_default(call_default_factory=True))
        if value is None:
            value = ""
        elif kind == "text" and not isinstance(value, str):
            value = json.dumps(value)
        rows.append(
            {
                "name": name,
                "label": info.title or name.replace("_", " ").capitalize(),
                "help": info.description or "",
                "kind": kind,
                "optional": type(None) in get_args(info.annotation),
                "value": value,
            }
        )
    return rows


def submitted(model: type[BaseModel] | None) -> dict[str, Any]:
    """The posted values, typed loosely; the plugin's model does the real validation."""
    if model is None:
        return {}
    values: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        kind = _kind(info)
        if kind == "checkbox":
            values[name] = name in request.form
        elif name in request.form:
            raw = request.form[name]
            if _plain(info.annotation) is str:
                values[name] = raw
            else:
                try:
                    values[name] = json.loads(raw) if raw.strip() else None
                except ValueError:
                    values[name] = raw
    return values


def apply_change(
    registry: PluginRegistry, tenant: Tenant, verb: str, *, by_tenant_admin: bool
) -> dict[str, dict[str, str]]:
    """Enable, disable, lock, unlock or set the settings of the posted plugin for ``tenant``,
    commit, and flash the outcome. Returns the field errors of refused settings (the form
    is then shown again with what was posted); empty otherwise, refusals being flashed."""
    name = request.form.get("plugin", "")
    plugin = registry.get(name)
    session = db.session
    try:
        if verb == "enable":
            done = enablement.enable(
                session, registry, tenant, name, by_tenant_admin=by_tenant_admin
            )
            flash(
                gettext("Enabled: %(names)s.", names=", ".join(done) or gettext("nothing new")),
                "success",
            )
        elif verb == "disable":
            enablement.disable(session, registry, tenant, name, by_tenant_admin=by_tenant_admin)
            flash(gettext("Disabled %(name)s; its data is kept.", name=name), "success")
        elif verb in ("lock", "unlock") and not by_tenant_admin:
            enablement.set_locked(session, registry, tenant, name, verb == "lock")
            flash(f"{name} is {verb}ed for {tenant.slug}.", "success")
        else:
            values = submitted(plugin.settings if plugin else None)
            enablement.update_settings(
                session, registry, tenant, name, values, by_tenant_admin=by_tenant_admin
            )
            flash(
                gettext("Settings of %(title)s saved.", title=plugin.title if plugin else name),
                "success",
            )
        session.commit()
        return {}
    except enablement.PluginSettingsError as error:
        db.session.rollback()
        flash(str(error), "error")
        return {name: {field.split(".")[0]: msg for field, msg in error.errors.items()}}
    except enablement.EnablementError as error:
        db.session.rollback()
        flash(str(error), "error")
        return {}


def plugin_rows(
    registry: PluginRegistry, tenant_id: int, errors: dict[str, dict[str, str]]
) -> dict[str, Any]:
    """Each loaded plugin with its state and settings form for one tenant; after a refused
    change, the posted values are shown again, not the stored ones."""
    rows = {
        r.plugin: r
        for r in db.session.scalars(select(TenantPlugin).where(TenantPlugin.tenant_id == tenant_id))
    }
    entries = []
    for entry in registry:
        row = rows.get(entry.name)
        posted = submitted(entry.plugin.settings) if entry.name in errors else None
        entries.append(
            {
                "entry": entry,
                "enabled": bool(row and row.enabled),
                "locked": enablement.is_locked(registry, row, entry.name),
                "locked_everywhere": entry.name in registry.locked,
                "fields": fields(
                    entry.plugin.settings,
                    posted if posted is not None else (row.settings if row else {}),
                ),
                "errors": errors.get(entry.name, {}),
            }
        )
    missing = [name for name, row in rows.items() if row.enabled and name not in registry]
    return {"plugins": entries, "missing": missing}
