"""The OpenAPI 3.1 description of one tenant's JSON API, built from the code.

Paths come from the app's URL rules, contracts from each view's ``api_operation``
declaration (its pydantic models give the JSON Schemas), and only the plugins the
tenant enabled are included. The API reference page renders the same document.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, current_app, request
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from tenantry import __version__
from tenantry.jsonapi import ApiOperation, operation_of
from tenantry.plugins.runtime import runtime
from tenantry.tenancy.context import current_tenant

OPENAPI_VERSION = "3.1.0"
_RULE_ARGUMENT = re.compile(r"<(?:(?P<converter>\w+)(?:\([^)]*\))?:)?(?P<name>\w+)>")
#: JSON Schemas of Flask's URL converters (``int`` is bounded like the database's keys).
_CONVERTERS: dict[str, dict[str, Any]] = {
    "int": {"type": "integer", "minimum": 0, "maximum": 2**31 - 1},
    "float": {"type": "number", "minimum": 0},
    "uuid": {"type": "string", "format": "uuid"},
}
_REASONS = {
    400: "The request is malformed (a NUL character, or a form without its CSRF token).",
    401: "No valid session or API token.",
    403: "The account may not do this.",
    404: "Nothing here: no such record in this site (another site's ids are not found either).",
    409: "A rule refused the change; the message says why.",
    422: "The input breaks a rule; `errors` has one message per field.",
}
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "Error",
    "description": "The one shape of every error of the JSON API.",
    "required": ["error", "message", "status"],
    "properties": {
        "error": {"type": "string", "description": "The HTTP status's name, e.g. Not Found."},
        "message": {"type": "string", "description": "What went wrong, for a person."},
        "status": {"type": "integer", "description": "The HTTP status code."},
        "errors": {
            "type": "object",
            "additionalProperties": {"type": "string"},
            "description": "On 422 only: field (dotted path) -> what is wrong with it.",
        },
    },
}
DESCRIPTION = """\
The JSON API of this site. Authenticate with an API token (create one under
*API tokens*) sent as `Authorization: Bearer <token>`; a token works on its own
site only. Times are UTC, in ISO 8601 with an offset (`2026-11-27T10:15:00Z`).
Every error answers with the same object: `error`, `message`, `status`, and on
422 `errors`, one message per field.
"""


def _path_and_parameters(rule: str) -> tuple[str, list[dict[str, Any]]]:
    parameters = []
    for match in _RULE_ARGUMENT.finditer(rule):
        schema = _CONVERTERS.get(match["converter"] or "default", {"type": "string"})
        parameters.append(
            {"name": match["name"], "in": "path", "required": True, "schema": dict(schema)}
        )
    return _RULE_ARGUMENT.sub(lambda m: "{" + m["name"] + "}", rule), parameters


def _operations(app: Flask) -> list[tuple[str, str, str, ApiOperation, str | None]]:
    """(path rule, method, endpoint, declaration, owning plugin) of every declared view
    the current tenant can reach."""
    rt = runtime()
    enabled = rt.enabled()
    found = []
    for rule in app.url_map.iter_rules():
        spec = operation_of(app.view_functions[rule.endpoint])
        if spec is None:
            continue
        owner = rt.blueprint_owner.get(rule.endpoint.split(".", 1)[0])
        if owner is not None and owner not in enabled:
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((rule.rule, method.lower(), rule.endpoint, spec, owner))
    return sorted(found, key=lambda item: (item[0], item[1]))


def _schemas(specs: list[ApiOperation]) -> tuple[dict[Any, Any], dict[str, Any]]:
    wanted: dict[tuple[type[BaseModel], str], None] = {}
    for spec in specs:
        for model, mode in ((spec.body, "validation"), (spec.query, "validation")):
            if model is not None:
                wanted[(model, mode)] = None
        if spec.response is not None:
            wanted[(spec.response, "serialization")] = None
    if not wanted:
        return {}, {}
    refs, top = models_json_schema(
        list(wanted),  # type: ignore[arg-type]
        ref_template="#/components/schemas/{model}",
    )
    return refs, _without_nul(top.get("$defs", {}))


#: No text field accepts NUL (PostgreSQL text cannot hold it; requests with one get 400).
NO_NUL = "^[^\u0000]*$"


def _without_nul(schema: Any) -> Any:
    """Every string schema in ``schema`` (recursively) refuses NUL, as the server does."""
    if isinstance(schema, dict):
        found = {key: _without_nul(value) for key, value in schema.items()}
        if found.get("type") == "string" and "format" not in found:
            found.setdefault("pattern", NO_NUL)
        return found
    if isinstance(schema, list):
        return [_without_nul(item) for item in schema]
    return schema


def _query_parameters(schema: dict[str, Any], defs: dict[str, Any]) -> list[dict[str, Any]]:
    resolved = _resolve(schema, defs)
    required = set(resolved.get("required", []))
    parameters = []
    for name, prop in resolved.get("properties", {}).items():
        parameter: dict[str, Any] = {
            "name": name,
            "in": "query",
            "required": name in required,
            "schema": {k: v for k, v in prop.items() if k not in ("title", "description")},
        }
        if prop.get("description"):
            parameter["description"] = prop["description"]
        parameters.append(parameter)
    return parameters


def _resolve(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref", "")
    return defs.get(ref.rsplit("/", 1)[-1], schema) if ref else schema


def _error(status: int) -> dict[str, Any]:
    return {
        "description": _REASONS.get(status, "An error."),
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def build(app: Flask | None = None) -> dict[str, Any]:
    """The OpenAPI document of the current tenant's API, served at ``/api/openapi.json``."""
    app = app or current_app
    operations = _operations(app)
    refs, defs = _schemas([spec for *_rest, spec, _owner in operations])
    titles = {entry.name: entry.plugin for entry in runtime().registry}
    paths: dict[str, dict[str, Any]] = {}
    tags: dict[str, str] = {}
    for rule, method, endpoint, spec, owner in operations:
        path, parameters = _path_and_parameters(rule)
        tag = titles[owner].title if owner in titles else "Tenantry"
        tags.setdefault(tag, titles[owner].description if owner in titles else "")
        if spec.query is not None:
            parameters += _query_parameters(refs[(spec.query, "validation")], defs)
        success: dict[str, Any] = {"description": spec.summary}
        if spec.response is not None:
            success["content"] = {
                "application/json": {"schema": refs[(spec.response, "serialization")]}
            }
        if spec.headers:
            success["headers"] = {
                name: {"description": text, "schema": {"type": "string"}}
                for name, text in spec.headers.items()
            }
        errors = {400, 401, *spec.errors}
        if any(p["in"] == "path" for p in parameters):
            errors.add(404)
        if spec.body is not None or spec.query is not None:
            errors.add(422)
        operation: dict[str, Any] = {
            "operationId": endpoint.replace(".", "_"),
            "summary": spec.summary,
            "tags": [tag],
            "responses": {
                str(spec.status): success,
                **{str(code): _error(code) for code in sorted(errors)},
            },
        }
        if spec.description:
            operation["description"] = spec.description
        if parameters:
            operation["parameters"] = parameters
        if spec.body is not None:
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": refs[(spec.body, "validation")]}},
            }
        paths.setdefault(path, {})[method] = operation
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": f"{current_tenant.name} API" if current_tenant else "Tenantry API",
            "version": __version__,
            "description": DESCRIPTION,
        },
        "servers": [{"url": request.host_url.rstrip("/")}],
        "tags": [{"name": name, "description": text} for name, text in tags.items()],
        "paths": paths,
        "components": {
            "schemas": {**defs, "Error": ERROR_SCHEMA},
            # Programs authenticate with a token. (The site's own pages may call the API
            # with their session and CSRF token; that is not an interface for programs.)
            "securitySchemes": {
                "token": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API token from the API tokens page.",
                },
            },
        },
        "security": [{"token": []}],
    }


# --- for the API reference page ---------------------------------------------------------------


def type_text(schema: dict[str, Any], components: dict[str, Any]) -> str:
    """A JSON Schema's type as a person reads it: ``list of string``, ``integer or null``."""
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if "anyOf" in schema:
        return " or ".join(type_text(option, components) for option in schema["anyOf"])
    kind = schema.get("type", "any")
    if kind == "array":
        return "list of " + type_text(schema.get("items", {}), components)
    if schema.get("format") == "date-time":
        return "date-time (UTC)"
    return str(kind)


def fields(schema: dict[str, Any] | None, components: dict[str, Any]) -> list[dict[str, Any]]:
    """The properties of an object schema (following one ``$ref``) as rows for a table."""
    if not schema:
        return []
    resolved = _resolve(schema, components)
    required = set(resolved.get("required", []))
    rows = []
    for name, prop in resolved.get("properties", {}).items():
        limits = [
            f"{label} {prop[key]}"
            for key, label in (
                ("minLength", "min length"),
                ("maxLength", "max length"),
                ("minimum", "min"),
                ("maximum", "max"),
                ("maxItems", "at most items:"),
            )
            if key in prop
        ]
        rows.append(
            {
                "name": name,
                "type": type_text(prop, components),
                "required": name in required,
                "description": prop.get("description", ""),
                "limits": ", ".join(limits),
                "default": prop.get("default"),
            }
        )
    return rows
