"""Editing one tenant's settings of one plugin: a form built from the plugin's pydantic model."""

from __future__ import annotations

import json
from typing import Any, get_args

from flask import request
from pydantic import BaseModel

from tenantry.plugins.enablement import PluginSettingsError


def fields(model: type[BaseModel] | None, values: dict[str, Any]) -> list[dict[str, Any]]:
    """What the template needs per field: name, label, help, kind and the current value."""
    if model is None:
        return []
    rows = []
    for name, info in model.model_fields.items():
        annotation = info.annotation
        kind = (
            "checkbox" if annotation is bool else "number" if annotation in (int, float) else "text"
        )
        value = values.get(name, info.get_default(call_default_factory=True))
        if kind == "text" and not isinstance(value, str):
            value = json.dumps(value)
        rows.append(
            {
                "name": name,
                "label": info.title or name.replace("_", " ").capitalize(),
                "help": info.description or "",
                "kind": kind,
                "value": value,
            }
        )
    return rows


def _unwrap_optional(annotation: Any) -> Any:
    """``int | None`` is edited like ``int``; an empty input means None."""
    args = [arg for arg in get_args(annotation) if arg is not type(None)]
    return args[0] if len(args) == 1 and type(None) in get_args(annotation) else annotation


def submitted(model: type[BaseModel] | None) -> dict[str, Any]:
    """The posted values, typed loosely; the plugin's model does the real validation."""
    if model is None:
        return {}
    values: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if info.annotation is bool:
            values[name] = name in request.form
        elif name in request.form:
            raw = request.form[name]
            if info.annotation in (str, str | None):
                values[name] = raw
            else:
                try:
                    values[name] = json.loads(raw) if raw.strip() else None
                except ValueError:
                    values[name] = raw
    return values


def errors_of(error: PluginSettingsError) -> dict[str, str]:
    return {field.split(".")[0]: message for field, message in error.errors.items()}
