"""A note belongs to one tenant (TenantScoped) and to the user who wrote it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tenantry import (
    Base,
    TenantScoped,
    User,
    UtcDateTime,
    tenant_foreign_key,
    tenant_join,
    utcnow,
)


class Note(TenantScoped, Base):
    __tablename__ = "notes_note"
    __table_args__ = (
        tenant_foreign_key("author_id", "tenantry_user"),
        Index("ix_notes_note_tenant_updated", "tenant_id", "updated_at"),
    )

    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    #: Normalised: lowercase, comma-separated, sorted, without duplicates.
    tags: Mapped[str] = mapped_column(String(500), default="")
    author_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)

    # Joined on the user's whole key (tenant_id, id): loads come from the identity map;
    # only author_id is written, so removing the author never touches tenant_id.
    author: Mapped[User | None] = relationship(
        primaryjoin=lambda: tenant_join(Note.author_id, User)
    )

    @property
    def tag_list(self) -> list[str]:
        return [tag for tag in self.tags.split(",") if tag]

    @staticmethod
    def normalise_tags(raw: str | list[str]) -> str:
        items = raw.split(",") if isinstance(raw, str) else raw
        return ",".join(sorted({t.strip().lower()[:40] for t in items if t and t.strip()}))

    def __str__(self) -> str:
        return self.title
