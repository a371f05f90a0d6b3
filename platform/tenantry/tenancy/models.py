"""Tenants and their custom domains: platform-wide (Global) tables."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tenantry.db import Base
from tenantry.tenancy.mixins import Global

STATUSES = ("active", "suspended", "deleted")


def utcnow() -> datetime:
    return datetime.now(UTC)


class Tenant(Global, Base):
    __tablename__ = "tenantry_tenant"
    __table_args__ = (
        CheckConstraint("status IN ('active', 'suspended', 'deleted')", name="status"),
    )
    __affects_hosts__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(63), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="active")
    #: Bumped by every change that per-process caches of this tenant must notice
    #: (status, enabled plugins, plugin settings); read with each request.
    revision: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

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
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    tenant: Mapped[Tenant] = relationship(back_populates="domains")

    def __str__(self) -> str:
        return self.hostname
