"""Tenantry: a multi-tenant modular monolith for Flask.

This module is the plugin author's whole vocabulary (plus ``tenantry.admin``
for admin view bases, ``tenantry.signals`` for the core's signals,
``tenantry.cache`` and ``tenantry.jobs`` for the tenant-keyed cache and background
jobs, and ``tenantry.testing`` for tests); everything else is internal and may change.

Names load on first use, so ``import tenantry`` (and a plugin's own import)
builds neither the web stack nor the CLI, migrations or admin.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.2.0"

# Bound now, not lazily: the submodule tenantry.db would otherwise shadow the object db.
from tenantry.db import Base, UtcDateTime, db

#: Public name -> the module that defines it, imported on first use.
_PUBLIC = {
    # models and their tenant scope
    "Global": "tenantry.tenancy.mixins",
    "TenantScoped": "tenantry.tenancy.mixins",
    "tenant_foreign_key": "tenantry.tenancy.mixins",
    "tenant_join": "tenantry.tenancy.mixins",
    "utcnow": "tenantry.tenancy.models",
    "User": "tenantry.auth.models",
    # the current tenant
    "TenantRef": "tenantry.tenancy.context",
    "current_tenant": "tenantry.tenancy.context",
    "tenant_context": "tenantry.tenancy.context",
    "all_tenants": "tenantry.tenancy.context",
    "NoTenantError": "tenantry.tenancy.errors",
    "TenantViolation": "tenantry.tenancy.errors",
    # data access
    "paginate": "tenantry.pagination",
    "Page": "tenantry.pagination",
    # the plugin contract
    "Plugin": "tenantry.plugins.contract",
    "NavItem": "tenantry.plugins.contract",
    "Slot": "tenantry.plugins.contract",
    "plugin_settings": "tenantry.plugins.runtime",
    "members_only": "tenantry.auth",
    # the audit log: a plugin's own events
    "audit": "tenantry.auditlog",
    # JSON APIs: a view's contract, checked and described in the site's OpenAPI document
    "api_operation": "tenantry.jsonapi",
    "Form": "tenantry.forms",
    # refusals, shown the same way by pages, API, admins and CLI
    "Refused": "tenantry.errors",
    "ValidationFailed": "tenantry.errors",
    # migrations of a plugin's tenant tables made before tenantry 0.3
    "move_to_tenant_key": "tenantry.tenant_keys",
    "move_to_id_key": "tenantry.tenant_keys",
    # translations: mark a plugin's words (its catalogs: docs/plugins.md, "Translations")
    "gettext": "flask_babel",
    "ngettext": "flask_babel",
    "lazy_gettext": "flask_babel",
    # the application, and how it tells which tenant a request is for (tenant_resolvers)
    "create_app": "tenantry.app",
    "TenantClaim": "tenantry.tenancy.strategies",
    "TenantResolver": "tenantry.tenancy.strategies",
}
__all__ = sorted([*_PUBLIC, "Base", "UtcDateTime", "db"])

if TYPE_CHECKING:
    from flask_babel import gettext, lazy_gettext, ngettext

    from tenantry.app import create_app
    from tenantry.auditlog import audit
    from tenantry.auth import members_only
    from tenantry.auth.models import User
    from tenantry.errors import Refused, ValidationFailed
    from tenantry.forms import Form
    from tenantry.jsonapi import api_operation
    from tenantry.pagination import Page, paginate
    from tenantry.plugins.contract import NavItem, Plugin, Slot
    from tenantry.plugins.runtime import plugin_settings
    from tenantry.tenancy.context import TenantRef, all_tenants, current_tenant, tenant_context
    from tenantry.tenancy.errors import NoTenantError, TenantViolation
    from tenantry.tenancy.mixins import Global, TenantScoped, tenant_foreign_key, tenant_join
    from tenantry.tenancy.models import utcnow
    from tenantry.tenancy.strategies import TenantClaim, TenantResolver
    from tenantry.tenant_keys import move_to_id_key, move_to_tenant_key


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'tenantry' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value  # once loaded, a plain attribute
    return value


def __dir__() -> list[str]:
    return [*globals(), *__all__]
