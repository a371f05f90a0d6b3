"""Each tenant's usage per day, in the database, for the dashboards: requests, errors,
active users, rows per table and a storage estimate.

Requests never wait for it: each process counts in memory (``UsageBuffer``, fed by the
request recorder) and writes its counts every ``usage_flush_s`` seconds from a
background thread, on the platform role's connection, as upserts that add to the
day's row. Rows per table and storage change slowly and cost a scan, so
``tenantry usage collect`` (daily, from cron) measures them and applies the retention.

Scope: both tables are Global (the platform's record) with a ``tenant_id``.
``UsageDay`` is readable by the tenant role for its own tenant only (row-level security
on PostgreSQL; the ORM query filters by the current tenant everywhere); ``UsageUser``
(who was active, needed only to count distinct users) is hidden from it altogether.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
import weakref
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    Engine,
    ForeignKey,
    Integer,
    delete,
    func,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from tenantry.db import Base
from tenantry.tenancy.mixins import Global, TenantScoped
from tenantry.tenancy.models import Tenant

log = logging.getLogger("tenantry.usage")


class UsageDay(Global, Base):
    """One tenant's usage on one day (UTC)."""

    __tablename__ = "tenantry_usage_day"
    __tenant_rows__ = True  # a tenant admin reads its own tenant's days

    tenant_id: Mapped[int] = mapped_column(
        ForeignKey("tenantry_tenant.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    requests: Mapped[int] = mapped_column(BigInteger, default=0)
    #: Responses with a 5xx status.
    errors: Mapped[int] = mapped_column(BigInteger, default=0)
    active_users: Mapped[int] = mapped_column(Integer, default=0)
    #: Rows per tenant table ({table: rows}), measured by ``collect``.
    rows: Mapped[dict[str, int] | None] = mapped_column(JSON)
    #: Bytes, estimated by ``collect``: each table's size shared out by row counts.
    storage_bytes: Mapped[int] = mapped_column(BigInteger, default=0)


class UsageUser(Global, Base):
    """A user who made a request on a day: what counts distinct active users."""

    __tablename__ = "tenantry_usage_user"
    __tenant_role_grants__ = ()

    tenant_id: Mapped[int] = mapped_column(
        ForeignKey("tenantry_tenant.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)


def _insert(engine: Engine, model: type[Base]) -> Any:
    return (pg_insert if engine.dialect.name == "postgresql" else sqlite_insert)(model)


class UsageBuffer:
    """This process's counts since the last write, per (tenant, day)."""

    def __init__(self, engine: Engine, flush_s: float):
        self.engine = engine
        self.flush_s = flush_s
        self._lock = threading.Lock()
        self._counts: dict[tuple[int, date], list[int]] = defaultdict(lambda: [0, 0])
        self._users: dict[tuple[int, date], set[int]] = defaultdict(set)
        self._due = time.monotonic() + flush_s
        self._flushing = False
        buffer = weakref.ref(self)
        self._at_exit = lambda: (found := buffer()) and found.flush()
        atexit.register(self._at_exit)

    def close(self) -> None:
        """Write what is counted now, not at exit: for an app whose database goes away
        before the process does (a test's scratch database)."""
        atexit.unregister(self._at_exit)
        self.flush()

    def note(self, tenant_id: int, status: str, user_id: int | None) -> None:
        """Count one request (called by the recorder after each tenant request)."""
        key = (tenant_id, datetime.now(UTC).date())
        with self._lock:
            counts = self._counts[key]
            counts[0] += 1
            if status[0] == "5":
                counts[1] += 1
            if user_id is not None:
                self._users[key].add(user_id)
            due = time.monotonic() >= self._due and not self._flushing
            if due:
                self._flushing = True
        if due:
            threading.Thread(target=self.flush, name="tenantry-usage", daemon=True).start()

    def flush(self) -> None:
        """Add the counts to the database; kept for the next try if it cannot be reached."""
        with self._lock:
            counts, self._counts = self._counts, defaultdict(lambda: [0, 0])
            users, self._users = self._users, defaultdict(set)
            self._due = time.monotonic() + self.flush_s
        try:
            if counts or users:
                self._write(counts, users)
        except Exception as error:  # the database may be down; requests go on regardless
            log.warning(
                "usage not written (%s: %s); kept for the next try", type(error).__name__, error
            )
            with self._lock:
                for key, (requests, errors) in counts.items():
                    self._counts[key][0] += requests
                    self._counts[key][1] += errors
                for key, ids in users.items():
                    self._users[key] |= ids
        finally:
            self._flushing = False

    def _write(
        self, counts: dict[tuple[int, date], list[int]], users: dict[tuple[int, date], set[int]]
    ) -> None:
        with self.engine.begin() as connection:
            # A tenant purged since its requests were counted has no row to add to.
            named = {tenant_id for tenant_id, _day in (*counts, *users)}
            live = set(connection.execute(select(Tenant.id).where(Tenant.id.in_(named))).scalars())
            counts = {key: value for key, value in counts.items() if key[0] in live}
            users = {key: value for key, value in users.items() if key[0] in live}
            for (tenant_id, day), (requests, errors) in counts.items():
                insert = _insert(self.engine, UsageDay).values(
                    tenant_id=tenant_id,
                    day=day,
                    requests=requests,
                    errors=errors,
                    active_users=0,
                    storage_bytes=0,
                )
                connection.execute(
                    insert.on_conflict_do_update(
                        index_elements=["tenant_id", "day"],
                        set_={
                            "requests": UsageDay.requests + insert.excluded.requests,
                            "errors": UsageDay.errors + insert.excluded.errors,
                        },
                    )
                )
            for (tenant_id, day), ids in users.items():
                rows = [{"tenant_id": tenant_id, "day": day, "user_id": i} for i in ids]
                connection.execute(
                    _insert(self.engine, UsageUser).values(rows).on_conflict_do_nothing()
                )
                active = (
                    select(func.count())
                    .where(UsageUser.tenant_id == tenant_id, UsageUser.day == day)
                    .scalar_subquery()
                )
                connection.execute(
                    update(UsageDay)
                    .where(UsageDay.tenant_id == tenant_id, UsageDay.day == day)
                    .values(active_users=active)
                )


def tenant_tables() -> list[Any]:
    """Every tenant table (TenantScoped), core and plugins'."""
    return sorted(
        (m.local_table for m in Base.registry.mappers if issubclass(m.class_, TenantScoped)),
        key=lambda table: table.name,
    )


def _table_bytes(connection: Any, table: str) -> int:
    """The table's size on disk with its indexes (PostgreSQL); SQLite: its pages."""
    if connection.dialect.name == "postgresql":
        return int(
            connection.execute(text("SELECT pg_total_relation_size(:t)"), {"t": table}).scalar()
            or 0
        )
    try:
        found = connection.execute(
            text("SELECT sum(pgsize) FROM dbstat WHERE name = :t"), {"t": table}
        ).scalar()
    except Exception:  # SQLite built without dbstat: estimate from the row count alone
        return -1
    return int(found or 0)


#: Bytes per row assumed where the database cannot say a table's size (SQLite without dbstat).
ROW_BYTES_GUESS = 200


def collect(engine: Engine, retention_days: int, today: date | None = None) -> int:
    """Measure rows per tenant table and storage for every tenant into today's rows, drop
    days older than the retention, and return how many tenants were measured.

    Runs on the platform role (it reads every tenant's tables, with ``all_tenants`` set on
    PostgreSQL), outside any request.
    """
    today = today or datetime.now(UTC).date()
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("SELECT set_config('tenantry.all_tenants', 'on', true)"))
        existing = set(inspect(connection).get_table_names())
        rows: dict[int, dict[str, int]] = defaultdict(dict)
        storage: dict[int, float] = defaultdict(float)
        for table in tenant_tables():
            if table.name not in existing:
                continue
            counts = dict(
                connection.execute(
                    select(table.c.tenant_id, func.count()).group_by(table.c.tenant_id)
                ).all()
            )
            total = sum(counts.values())
            size = _table_bytes(connection, table.name)
            for tenant_id, count in counts.items():
                rows[tenant_id][table.name] = count
                share = size * count / total if size >= 0 and total else count * ROW_BYTES_GUESS
                storage[tenant_id] += share
        tenants = connection.execute(select(Tenant.id)).scalars().all()
        for tenant_id in tenants:
            insert = _insert(engine, UsageDay).values(
                tenant_id=tenant_id,
                day=today,
                requests=0,
                errors=0,
                active_users=0,
                rows=rows.get(tenant_id, {}),
                storage_bytes=int(storage.get(tenant_id, 0)),
            )
            connection.execute(
                insert.on_conflict_do_update(
                    index_elements=["tenant_id", "day"],
                    set_={
                        "rows": insert.excluded.rows,
                        "storage_bytes": insert.excluded.storage_bytes,
                    },
                )
            )
        cutoff = today - timedelta(days=retention_days)
        connection.execute(delete(UsageDay).where(UsageDay.day < cutoff))
        # Distinct users are counted into UsageDay as they come; yesterday's may still grow.
        connection.execute(delete(UsageUser).where(UsageUser.day < today - timedelta(days=1)))
    return len(tenants)


def days_of(session: Session, tenant_id: int | None, since: date) -> list[UsageDay]:
    """Usage rows since ``since``, oldest first: one tenant's, or every tenant's (None,
    for the platform admin only)."""
    query = select(UsageDay).where(UsageDay.day >= since).order_by(UsageDay.day)
    if tenant_id is not None:
        query = query.where(UsageDay.tenant_id == tenant_id)
    return list(session.scalars(query))
