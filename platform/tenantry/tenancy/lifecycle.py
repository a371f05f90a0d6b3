"""Creating, renaming, suspending, resuming, deleting, purging and exporting tenants;
their domains.

The one write path for these rules: the CLI and the platform admin both call it.
The caller commits; signals are sent after the change is flushed.

Deleting is explicit about what happens: the tenant's sites close at once (404);
its data is purged at once, or after a grace period during which an operator can
still cancel (the tenant comes back suspended) or export it. Purging removes
every row of the tenant and then the tenant itself, which frees its slug.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, func, select
from sqlalchemy import delete as delete_rows
from sqlalchemy.orm import Session

from tenantry import signals
from tenantry.db import Base
from tenantry.errors import Refused, ValidationFailed
from tenantry.tenancy.context import all_tenants, writes_platform_tables
from tenantry.tenancy.errors import InvalidName
from tenantry.tenancy.hostnames import normalize_host, validate_domain, validate_slug
from tenantry.tenancy.locales import validate as valid_locale
from tenantry.tenancy.models import Domain, Tenant, TenantStatus, utcnow
from tenantry.tenancy.rls import tenant_tables
from tenantry.tenancy.timezones import validate as valid_timezone

#: Never exported: digests of passwords, tokens, session keys and invitation links stay in
#: the database they protect.
SECRET_COLUMNS = frozenset({"password_hash", "token_hash", "key_hash", "nonce_hash"})


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
        holder = session.scalar(select(Tenant).where(Tenant.slug == slug))
    if holder is not None and holder.status == TenantStatus.DELETED:
        when = f"on {_day(holder.purge_after)}" if holder.purge_after else "when purged"
        raise ValidationFailed(
            {
                "slug": f"{slug!r} belongs to a deleted tenant whose data is kept until its "
                f"purge; the slug is free {when} (purge it now to reuse the slug at once)"
            }
        )
    if holder is not None:
        raise ValidationFailed({"slug": f"a tenant with slug {slug!r} already exists"})
    tenant = Tenant(slug=slug, name=(name or slug).strip() or slug, status=TenantStatus.ACTIVE)
    session.add(tenant)
    session.flush()
    signals.tenant_created.send(tenant)
    return tenant


@writes_platform_tables
def rename(session: Session, tenant: Tenant, name: str) -> None:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed({"name": "a tenant needs a name"})
    if name != tenant.name:
        tenant.name = name
        tenant.revision += 1  # the name is shown from the request's tenant state
        session.flush()


@writes_platform_tables
def set_timezone(session: Session, tenant: Tenant, name: str) -> None:
    """Show the tenant's times in zone ``name`` (an IANA name such as ``Europe/Berlin``)."""
    name = valid_timezone(name)
    if name != tenant.timezone:
        tenant.timezone = name
        tenant.revision += 1  # pages read the zone from the request's tenant state
        session.flush()


@writes_platform_tables
def set_locale(session: Session, tenant: Tenant, code: str | None) -> None:
    """Speak ``code`` (``tenancy.locales``) to whoever chose no language; None or "" leaves
    it to each browser's ``Accept-Language``."""
    code = valid_locale(code)
    if code != tenant.locale:
        tenant.locale = code
        tenant.revision += 1  # pages read the default from the request's tenant state
        session.flush()


_STATUS_SIGNALS = {
    TenantStatus.SUSPENDED: signals.tenant_suspended,
    TenantStatus.ACTIVE: signals.tenant_resumed,
    TenantStatus.DELETED: signals.tenant_deleted,
}


def set_status(session: Session, tenant: Tenant, status: str) -> None:
    """Suspend or resume (deleting has its own two steps: ``delete``)."""
    try:
        status = TenantStatus(status)
    except ValueError:
        raise ValidationFailed(
            {"status": f"must be one of {', '.join(TenantStatus)}, not {status!r}"}
        ) from None
    if tenant.status == status:
        return
    if tenant.status == TenantStatus.DELETED:
        raise LifecycleError(
            f"{tenant.slug!r} is deleted; deleted tenants cannot come back "
            "(an operator can cancel the deletion until the purge)"
        )
    if status == TenantStatus.DELETED:
        raise LifecycleError(
            f"delete {tenant.slug!r} with the Delete action, which says what happens to its data"
        )
    _change_status(session, tenant, status)


def _change_status(session: Session, tenant: Tenant, status: TenantStatus) -> None:
    tenant.status = status
    tenant.revision += 1
    session.flush()
    _STATUS_SIGNALS[status].send(tenant)


def delete(session: Session, tenant: Tenant, *, grace_days: float = 0) -> None:
    """Close the tenant's sites now and schedule the purge of its data ``grace_days`` from
    now (0: due at once). The caller purges what is due: the CLI at once, the admin as a
    job, ``purge_due`` for the rest."""
    if grace_days < 0 or grace_days > 3650:
        raise ValidationFailed({"grace_days": "a number of days from 0 (at once) to 3650"})
    if tenant.status == TenantStatus.DELETED:
        raise LifecycleError(
            f"{tenant.slug!r} is deleted already; its data is purged "
            f"{_day(tenant.purge_after) if tenant.purge_after else 'soon'}"
        )
    tenant.purge_after = utcnow() + timedelta(days=grace_days)
    _change_status(session, tenant, TenantStatus.DELETED)


def cancel_deletion(session: Session, tenant: Tenant) -> None:
    """Before the purge: the tenant comes back, suspended (resume it when ready)."""
    if tenant.status != TenantStatus.DELETED:
        raise LifecycleError(f"{tenant.slug!r} is not deleted")
    tenant.status = TenantStatus.SUSPENDED
    tenant.purge_after = None
    tenant.revision += 1
    session.flush()
    signals.tenant_deletion_cancelled.send(tenant)


def purge_order() -> list[Table]:
    """The tenant-scoped tables, children before the tables they refer to."""
    tables = set(tenant_tables(Base.metadata))
    return [table for table in reversed(Base.metadata.sorted_tables) if table.name in tables]


def purge_table(session: Session, tenant: Tenant, table: Table) -> int:
    """Delete ``tenant``'s rows of one table; how many went. A purge job calls it table by
    table, each in its own transaction, so a purge cut short is finished by running it again."""
    with all_tenants():
        return session.execute(delete_rows(table).where(table.c.tenant_id == tenant.id)).rowcount


def purge(
    session: Session, tenant: Tenant, *, removed: dict[str, int] | None = None
) -> dict[str, int]:
    """Remove every row of a deleted ``tenant`` (children first), then the tenant itself:
    its slug is free once the caller commits. Returns the rows removed per table, with
    ``removed``: what the caller (a purge job) already removed table by table."""
    if tenant.status != TenantStatus.DELETED:
        raise LifecycleError(f"only a deleted tenant is purged; delete {tenant.slug!r} first")
    counts = row_counts(session, tenant)
    for table, count in (removed or {}).items():
        counts[table] = counts.get(table, 0) + count
    signals.tenant_purged.send(tenant, rows=sum(counts.values()))
    for table in purge_order():
        purge_table(session, tenant, table)
    with all_tenants():
        session.delete(tenant)  # its domains and plugin rows go with it (foreign key cascade)
        session.flush()
    return counts


def purge_due(session: Session) -> list[str]:
    """Purge every deleted tenant whose grace period is over; their slugs, for a report."""
    due = session.scalars(
        select(Tenant).where(
            Tenant.status == TenantStatus.DELETED,
            Tenant.purge_after.is_not(None),
            Tenant.purge_after <= utcnow(),
        )
    ).all()
    for tenant in due:
        purge(session, tenant)
    return [tenant.slug for tenant in due]


def _day(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "?"


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
