"""A task belongs to one tenant and may point at one of that tenant's notes."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tenantry import Base, TenantScoped, UtcDateTime, tenant_foreign_key, tenant_join, utcnow
from tenantry_notes.models import Note


class Task(TenantScoped, Base):
    __tablename__ = "tasks_task"
    __table_args__ = (
        # (tenant_id, note_id) -> notes_note(tenant_id, id): never another tenant's note.
        tenant_foreign_key("note_id", "notes_note"),
        Index("ix_tasks_task_tenant_done", "tenant_id", "done"),
    )

    title: Mapped[str] = mapped_column(String(200))
    done: Mapped[bool] = mapped_column(default=False)
    due: Mapped[date | None] = mapped_column(Date)
    note_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    # On the note's whole key: loads come from the identity map, and unlinking clears
    # note_id only, never tenant_id.
    note: Mapped[Note | None] = relationship(primaryjoin=lambda: tenant_join(Task.note_id, Note))

    @property
    def overdue(self) -> bool:
        return not self.done and self.due is not None and self.due < date.today()

    def __str__(self) -> str:
        return self.title
