"""A public note belongs to one tenant (TenantScoped); anyone on the tenant's host reads it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tenantry import Base, TenantScoped, UtcDateTime, utcnow


class PublicNote(TenantScoped, Base):
    __tablename__ = "publicpage_note"
    __table_args__ = (Index("ix_publicpage_note_tenant_created", "tenant_id", "created_at"),)

    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
