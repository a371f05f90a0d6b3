"""Tenants, host resolution and the automatic confinement of data to one tenant."""

from tenantry.tenancy.context import (
    TenantRef,
    all_tenants,
    current_tenant,
    get_tenant,
    tenant_context,
)
from tenantry.tenancy.errors import InvalidName, NoTenantError, TenantViolation
from tenantry.tenancy.mixins import Global, TenantScoped, tenant_foreign_key, tenant_join

__all__ = [
    "Global",
    "InvalidName",
    "NoTenantError",
    "TenantRef",
    "TenantScoped",
    "TenantViolation",
    "all_tenants",
    "current_tenant",
    "get_tenant",
    "tenant_context",
    "tenant_foreign_key",
    "tenant_join",
]
