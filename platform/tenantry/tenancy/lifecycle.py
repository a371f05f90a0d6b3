"""Creating, renaming, suspending, resuming, deleting, purging and exporting tenants;
their domains.

The one write path for these rules: the CLI and the platform admin both call it.
The caller commits; signals are sent after the change is flushed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, delete, func, select
from sqlalchemy.orm import Session

from tenantry import signals
from tenantry.db import Base
from tenantry.errors import Refused, ValidationFailed
from tenantry.tenancy.context import all_tenants
from tenantry.tenancy.errors import InvalidName
from tenantry.tenancy.hostnames import normalize_host, validate_domain, validate_slug
from tenantry.tenancy.models import Domain, Tenant, TenantStatus
from tenantry.tenancy.rls import tenant_tables

#: Never exported: hashes of passwords and tokens stay in the database they protect.
SECRET_COLUMNS = frozenset({"password_hash", "token_hash"})


class LifecycleError(Refused):
    """A refused lifecycle change; the message says why."""


def find(session: Session, slug: str) -> Tenant:
    tenant = session.scalar(select(Tenant).where(Tenant.slug == slug))
    if tenant is None:
        raise LifecycleError(f"no tenant with slug {slug!r}")
    return tenant


def create(session: Session, slug: str, name: str | None = None) -> Tenant:
    try:
        slug = validate_slug((slug or "").strip())
    except InvalidName as error:
        raise ValidationFailed({"slug": str(error)}) from None
    with session.no_autoflush:
        taken = session.scalar(select(Tenant.id).where(Tenant.slug == slug)) is not None
    if taken:
        raise ValidationFailed({"slug": f"a tenant with slug {slug!r} already exists"})
    tenant = Tenant(slug=slug, name=(name or slug).strip() or slug, status=TenantStatus.ACTIVE)
    session.add(tenant)
    session.flush()
    signals.tenant_created.send(tenant)
    return tenant


def rename(session: Session, tenant: Tenant, name: str) -> None:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed({"name": "a tenant needs a name"})
    if name != tenant.name:
        tenant.name = name
        tenant.revision += 1  # the name is shown from the request's tenant state
        session.flush()


_STATUS_SIGNALS = {
    TenantStatus.SUSPENDED: signals.tenant_suspended,
    TenantStatus.ACTIVE: signals.tenant_resumed,
    TenantStatus.DELETED: signals.tenant_deleted,
}


def set_status(session: Session, tenant: Tenant, status: str) -> None:
    try:
        status = TenantStatus(status)
    except ValueError:
        raise ValidationFailed(
            {"status": f"must be one of {', '.join(TenantStatus)}, not {status!r}"}
        ) from None
    if tenant.status == status:
        return
    if tenant.status == TenantStatus.DELETED:
        raise LifecycleError(f"{tenant.slug!r} is deleted; deleted tenants cannot come back")
    tenant.status = status
    tenant.revision += 1
    session.flush()
    _STATUS_SIGNALS[status].send(tenant)


def purge_order() -> list[Table]:
    """The tenant-scoped tables, children before the tables they refer to."""
    tables = set(tenant_tables(Base.metadata))
    return [table for table in reversed(Base.metadata.sorted_tables) if table.name in tables]


def purge_table(session: Session, tenant: Tenant, table: Table) -> int:
    """Delete ``tenant``'s rows of one table; how many went."""
    with all_tenants():
        return session.execute(delete(table).where(table.c.tenant_id == tenant.id)).rowcount


def purge(session: Session, tenant: Tenant) -> dict[str, int]:
    """Delete every tenant-scoped row of ``tenant`` (children first); the tenant row stays."""
    return {table.name: purge_table(session, tenant, table) for table in purge_order()}


def row_counts(session: Session, tenant: Tenant) -> dict[str, int]:
    with all_tenants():
        return {
            name: session.scalar(
                select(func.count())
                .select_from(Base.metadata.tables[name])
                .where(Base.metadata.tables[name].c.tenant_id == tenant.id)
            )
            or 0
            for name in tenant_tables(Base.metadata)
        }


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    raise TypeError(f"cannot export {type(value).__name__}")


def export(session: Session, tenant: Tenant, batch: int = 1000) -> Iterator[str]:
    """JSON lines ``{"table": ..., "row": {...}}``, streamed in batches of ``batch`` rows."""
    with all_tenants():
        for name in tenant_tables(Base.metadata):
            table = Base.metadata.tables[name]
            query = select(table).where(table.c.tenant_id == tenant.id).order_by(*table.primary_key)
            result = session.execute(query.execution_options(yield_per=batch))
            for row in result.mappings():
                values = {k: v for k, v in row.items() if k not in SECRET_COLUMNS}
                yield json.dumps({"table": name, "row": values}, default=_json_default)


def add_domain(session: Session, tenant: Tenant, hostname: str, root_host: str) -> Domain:
    try:
        host = validate_domain(hostname, root_host)
    except InvalidName as error:
        raise ValidationFailed({"hostname": str(error)}) from None
    with session.no_autoflush:
        owner = session.scalar(select(Domain).where(Domain.hostname == host))
    if owner is not None:
        raise ValidationFailed(
            {"hostname": f"{host} already belongs to tenant {owner.tenant.slug!r}"}
        )
    domain = Domain(hostname=host, tenant=tenant)
    session.add(domain)
    session.flush()
    return domain


def remove_domain(session: Session, tenant: Tenant, hostname: str) -> Domain:
    try:
        host = normalize_host(hostname)
    except InvalidName as error:
        raise LifecycleError(str(error)) from None
    domain = session.scalar(
        select(Domain).where(Domain.tenant_id == tenant.id, Domain.hostname == host)
    )
    if domain is None:
        raise LifecycleError(f"{host} is not a domain of {tenant.slug!r}")
    session.delete(domain)
    session.flush()
    return domain
