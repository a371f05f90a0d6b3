"""Long work operators start on a tenant (export, purge), run as platform jobs with progress.

Each request is a ``TenantOperation`` row (Global: the operators' record, shown in the
platform admin, never read by tenant code). The job updates its row as it goes, so the
admin shows progress and, for a finished export, a download link. The CLI's own
``tenants export`` and ``tenants purge`` stay synchronous (export with a progress bar).

Exports are gzipped JSON lines (the CLI's format) under ``<instance>/exports/``; the web
process serves them, so workers and web processes must share that folder.
"""

from __future__ import annotations

import gzip
import logging
import os
import time
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from flask import current_app
from sqlalchemy import ForeignKey, String, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from tenantry import jobs
from tenantry.db import Base, UtcDateTime, db
from tenantry.errors import Refused
from tenantry.tenancy import lifecycle
from tenantry.tenancy.mixins import Global
from tenantry.tenancy.models import Tenant, TenantStatus, one_of, utcnow

log = logging.getLogger(__name__)
#: A worker gives an export or a purge this long before RQ stops it.
TIMEOUT = 6 * 3600
#: Progress is written at most this often (seconds), so it costs little.
PROGRESS_EVERY = 0.5


class OperationKind(StrEnum):
    EXPORT = "export"
    PURGE = "purge"


class OperationStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class TenantOperation(Global, Base):
    """An export or purge of one tenant requested by an operator, and how far it got."""

    __tablename__ = "tenantry_tenant_operation"
    __table_args__ = (one_of("kind", OperationKind), one_of("status", OperationStatus))

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(
        ForeignKey("tenantry_tenant.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=OperationStatus.QUEUED)
    #: Rows exported or tables purged so far, out of ``total``.
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    #: The export's file name under <instance>/exports/.
    file: Mapped[str | None] = mapped_column(String(255))
    error: Mapped[str | None] = mapped_column(String(500))
    requested_by: Mapped[str] = mapped_column(String(254), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    tenant: Mapped[Tenant] = relationship()

    @property
    def active(self) -> bool:
        return self.status in (OperationStatus.QUEUED, OperationStatus.RUNNING)

    @property
    def percent(self) -> int:
        if self.status == OperationStatus.DONE:
            return 100
        return min(100, self.done * 100 // self.total) if self.total else 0


def exports_dir() -> Path:
    folder = Path(current_app.instance_path) / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def export_path(operation: TenantOperation) -> Path | None:
    """The finished export's file, if it is still there."""
    if operation.kind != OperationKind.EXPORT or operation.status != OperationStatus.DONE:
        return None
    path = exports_dir() / (operation.file or "")
    return path if operation.file and path.is_file() else None


def recent(session: Session, tenant: Tenant, limit: int = 10) -> list[TenantOperation]:
    query = (
        select(TenantOperation)
        .where(TenantOperation.tenant_id == tenant.id)
        .order_by(TenantOperation.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


def start(
    session: Session, tenant: Tenant, kind: OperationKind, requested_by: str
) -> TenantOperation:
    """Record the operation and queue its job (after the caller's commit)."""
    if kind == OperationKind.PURGE and tenant.status != TenantStatus.DELETED:
        raise Refused(f"{tenant.slug!r} is {tenant.status}; only a deleted tenant's data is purged")
    running = session.scalar(
        select(TenantOperation.id).where(
            TenantOperation.tenant_id == tenant.id,
            TenantOperation.kind == kind,
            TenantOperation.status.in_([OperationStatus.QUEUED, OperationStatus.RUNNING]),
        )
    )
    if running is not None:
        raise Refused(f"a {kind} of {tenant.slug!r} is already under way")
    operation = TenantOperation(tenant_id=tenant.id, kind=kind, requested_by=requested_by)
    session.add(operation)
    session.flush()
    job = run_export if kind == OperationKind.EXPORT else run_purge
    jobs.enqueue_platform(job, operation.id, timeout=TIMEOUT)
    return operation


class _Progress:
    """Writes ``done`` on its own short transactions, at most every PROGRESS_EVERY seconds,
    so the admin sees it while the job's own transaction is still open."""

    def __init__(self, operation_id: int):
        self.operation_id = operation_id
        self.last = 0.0

    def __call__(self, done: int, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.last < PROGRESS_EVERY:
            return
        self.last = now
        with db.platform_engine.begin() as connection:  # a platform table: the platform role
            connection.execute(
                update(TenantOperation)
                .where(TenantOperation.id == self.operation_id)
                .values(done=done)
            )


def _begin(operation_id: int) -> TenantOperation | None:
    operation = db.session.get(TenantOperation, operation_id)
    if operation is None or operation.status != OperationStatus.QUEUED:
        log.warning("operation %s is gone or already started; nothing to do", operation_id)
        return None
    operation.status = OperationStatus.RUNNING
    return operation


def _finish(operation: TenantOperation, error: BaseException | None = None) -> None:
    session = db.session
    if error is not None:
        session.rollback()
        operation = session.get(TenantOperation, operation.id) or operation
        operation.error = f"{type(error).__name__}: {error}"[:500]
    operation.status = OperationStatus.FAILED if error else OperationStatus.DONE
    operation.finished_at = utcnow()
    session.commit()


def run_export(operation_id: int) -> dict[str, int] | None:
    """Job: write the tenant's rows to ``<instance>/exports/<slug>-<id>.jsonl.gz``."""
    session = db.session
    operation = _begin(operation_id)
    if operation is None:
        return None
    tenant = operation.tenant
    operation.total = sum(lifecycle.row_counts(session, tenant).values())
    operation.file = f"{tenant.slug}-{operation.id}.jsonl.gz"
    session.commit()
    final = exports_dir() / operation.file
    partial = final.with_suffix(".part")
    progress = _Progress(operation.id)
    rows = 0
    try:
        with gzip.open(partial, "wt", encoding="utf-8") as out:
            for rows, line in enumerate(lifecycle.export(session, tenant), start=1):
                out.write(line + "\n")
                progress(rows)
        os.replace(partial, final)
        operation.done = rows
    except Exception as error:
        partial.unlink(missing_ok=True)
        _finish(operation, error)
        raise
    _finish(operation)
    log.info("exported %d rows of %s to %s", rows, tenant.slug, final)
    return {"rows": rows}


def run_purge(operation_id: int) -> dict[str, int] | None:
    """Job: delete every row of a deleted tenant, one table per transaction (a purge cut
    short is finished by running it again), then the tenant itself, which frees its slug.
    The operation's own row goes with the tenant; the audit log keeps the purge."""
    session = db.session
    operation = _begin(operation_id)
    if operation is None:
        return None
    tenant = operation.tenant
    tables = lifecycle.purge_order()
    operation.total = len(tables)
    session.commit()
    counts: dict[str, int] = {}
    try:
        if tenant.status != TenantStatus.DELETED:
            raise Refused(f"{tenant.slug!r} is {tenant.status} again; nothing was purged")
        for done, table in enumerate(tables, start=1):
            counts[table.name] = lifecycle.purge_table(session, tenant, table)
            operation.done = done
            session.commit()
        slug = tenant.slug
        lifecycle.purge(session, tenant, removed=counts)  # nothing left but the tenant row
        session.commit()
    except Exception as error:
        _finish(operation, error)
        raise
    log.info("purged %d rows of %s; its slug is free", sum(counts.values()), slug)
    return counts
