"""Tenantry: a multi-tenant modular monolith for Flask.

This module is the plugin author's vocabulary; everything else is internal.
"""

from typing import Any

from tenantry.db import Base, db
from tenantry.plugins.contract import API_VERSION, NavItem, Plugin
from tenantry.tenancy import (
    Global,
    NoTenantError,
    TenantRef,
    TenantScoped,
    TenantViolation,
    all_tenants,
    current_tenant,
    tenant_context,
    tenant_foreign_key,
)

__version__ = "0.1.0"
__all__ = [
    "API_VERSION",
    "Base",
    "Global",
    "NavItem",
    "NoTenantError",
    "Plugin",
    "TenantRef",
    "TenantScoped",
    "TenantViolation",
    "all_tenants",
    "create_app",
    "current_tenant",
    "db",
    "plugin_settings",
    "tenant_context",
    "tenant_foreign_key",
]


def __getattr__(name: str) -> Any:
    # Lazy, so `import tenantry` in a plugin does not build the whole web stack.
    if name == "create_app":
        from tenantry.app import create_app

        return create_app
    if name == "plugin_settings":
        from tenantry.plugins.runtime import plugin_settings

        return plugin_settings
    raise AttributeError(name)
