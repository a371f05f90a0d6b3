"""Tenants and their custom domains: platform-wide (Global) tables."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tenantry.db import Base, UtcDateTime
from tenantry.tenancy.mixins import Global


class TenantStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"  # hosts answer 403
    DELETED = "deleted"  # hosts answer 404; rows stay until purged (then the row goes too)


def utcnow() -> datetime:
    """Now, in UTC, timezone-aware: the default of every timestamp column."""
    return datetime.now(UTC)


def one_of(column: str, values: type[StrEnum]) -> CheckConstraint:
    """A check constraint that keeps ``column`` to the members of ``values``."""
    allowed = ", ".join(f"'{member.value}'" for member in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=column)


class Tenant(Global, Base):
    __tablename__ = "tenantry_tenant"
    __table_args__ = (one_of("status", TenantStatus),)
    __affects_hosts__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(63), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default=TenantStatus.ACTIVE)
    #: Bumped by every change that per-process caches of this tenant must notice
    #: (status, enabled plugins, plugin settings); read with each request.
    revision: Mapped[int] = mapped_column(default=1)
    #: An IANA zone name (``Europe/Berlin``): how the tenant's pages show times.
    timezone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    #: The language of its pages for whoever has not chosen one (``tenancy.locales``);
    #: None: each browser's ``Accept-Language`` decides.
    locale: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    #: When a deleted tenant's data is purged (and its slug freed); None unless deleted.
    purge_after: Mapped[datetime | None] = mapped_column(UtcDateTime)

    domains: Mapped[list[Domain]] = relationship(
        back_populates="tenant", cascade="all, delete-orphan", order_by="Domain.hostname"
    )

    def __str__(self) -> str:
        return self.slug


class Domain(Global, Base):
    __tablename__ = "tenantry_domain"
    __affects_hosts__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    hostname: Mapped[str] = mapped_column(String(253), unique=True)
    tenant_id: Mapped[int] = mapped_column(
        ForeignKey("tenantry_tenant.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    tenant: Mapped[Tenant] = relationship(back_populates="domains")

    def __str__(self) -> str:
        return self.hostname
