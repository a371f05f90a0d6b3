"""Which tenant the running code acts for.

The tenant lives in a ``ContextVar``: each waitress thread (and each asyncio
task) sees its own, and it only changes inside a ``with`` block that restores
the previous value in ``finally``, so an exception can never leave a request
or a job in the wrong tenant. ``all_tenants()`` is the one, block-scoped way
to see every tenant's rows (operators' admin, CLI).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar, cast

from werkzeug.local import LocalProxy

from tenantry.tenancy.errors import NoTenantError, TenantViolation


@dataclass(frozen=True, slots=True)
class TenantRef:
    """A tenant as request code sees it: plain values, detached from any session.

    ``revision`` is the tenant's revision when this ref was read (0 when unknown):
    per-process caches of the tenant's plugins and settings are keyed by it.
    ``timezone`` is the IANA zone its pages show times in; ``locale`` the language of
    its pages for people who chose none (None: their browser's).
    """

    id: int
    slug: str
    name: str
    status: str = "active"
    revision: int = 0
    timezone: str = "UTC"
    locale: str | None = None


P = ParamSpec("P")
R = TypeVar("R")

_tenant: ContextVar[TenantRef | None] = ContextVar("tenantry.tenant", default=None)
_bypass: ContextVar[bool] = ContextVar("tenantry.all_tenants", default=False)

#: The tenant of the current request or ``tenant_context`` block (falsy when none).
current_tenant: TenantRef = cast(TenantRef, LocalProxy(_tenant))


def get_tenant() -> TenantRef | None:
    return _tenant.get()


def bypassing() -> bool:
    """True inside ``all_tenants()`` (and not inside a nested ``tenant_context``)."""
    return _bypass.get()


def require_tenant_id() -> int:
    tenant = _tenant.get()
    if tenant is None:
        raise NoTenantError(
            "no tenant in context: run this inside a tenant's request, "
            "`with tenant_context(tenant):`, or `with all_tenants():` on purpose"
        )
    return tenant.id


def as_ref(tenant: Any) -> TenantRef:
    """A detached TenantRef of a Tenant, a TenantRef, or ``current_tenant`` itself."""
    if isinstance(tenant, LocalProxy):
        tenant = tenant._get_current_object()  # never store the proxy in its own variable
    if type(tenant) is TenantRef:
        return tenant
    return TenantRef(
        tenant.id,
        tenant.slug,
        tenant.name,
        tenant.status,
        tenant.revision or 0,
        tenant.timezone or "UTC",
        tenant.locale,
    )


@contextmanager
def tenant_context(tenant: Any) -> Iterator[TenantRef]:
    """Act for ``tenant`` (a Tenant or TenantRef) inside the block, confined to it."""
    ref = as_ref(tenant)
    tenant_token = _tenant.set(ref)
    bypass_token = _bypass.set(False)
    try:
        yield ref
    finally:
        _bypass.reset(bypass_token)
        _tenant.reset(tenant_token)


@contextmanager
def all_tenants() -> Iterator[None]:
    """See and change every tenant's rows inside the block; for operators and the CLI."""
    token = _bypass.set(True)
    try:
        yield
    finally:
        _bypass.reset(token)


def tenant_for(tenant: Any, what: str, example: str) -> TenantRef:
    """The tenant ``what`` (a cache entry, a job) belongs to, by the rule data follows: the
    current tenant, or inside ``all_tenants()`` the tenant named on purpose.

    Naming another tenant from a tenant's context raises TenantViolation; no tenant in
    context (or none named inside ``all_tenants()``) raises NoTenantError, whose message
    shows ``example``, the call with ``tenant=``.
    """
    current = _tenant.get()
    if _bypass.get():
        if tenant is None:
            raise NoTenantError(f"inside all_tenants() {what} needs its tenant named: {example}")
        return as_ref(tenant)
    if current is None:
        raise NoTenantError(
            f"{what} belongs to a tenant: use it in a tenant's request or job, inside "
            "`with tenant_context(tenant):`, or inside `with all_tenants():` with tenant="
        )
    if tenant is not None and as_ref(tenant).id != current.id:
        raise TenantViolation(
            f"{what} of tenant {as_ref(tenant).id} is out of reach while acting for "
            f"tenant {current.id}"
        )
    return current


def writes_platform_tables(service: Callable[P, R]) -> Callable[P, R]:
    """For a service that writes platform tables (a tenant's row, its plugins): it runs
    inside ``all_tenants()`` whoever calls it, a tenant admin on the tenant's own host
    included. On PostgreSQL its writes then go out as the platform role, since the
    tenant role may not write those tables: not even SQL injected into a tenant's
    request can change another tenant's settings. The service must flush before it
    returns (they all do), so its writes leave while the context is open."""

    @functools.wraps(service)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        with all_tenants():
            return service(*args, **kwargs)

    return run
