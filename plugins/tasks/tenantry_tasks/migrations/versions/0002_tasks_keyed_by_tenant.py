"""tasks keyed (tenant_id, id) with bigint ids, like every tenant table

Revision ID: tasks_0002
Revises: tasks_0001
Create Date: 2026-11-26 20:05:00.000000
"""

from collections.abc import Sequence

from tenantry import move_to_id_key, move_to_tenant_key

revision: str = "tasks_0002"
down_revision: str | Sequence[str] | None = "tasks_0001"
branch_labels: str | Sequence[str] | None = None
# note_id becomes a bigint to match the notes' ids, which notes_0002 widens.
depends_on: str | Sequence[str] | None = "notes_0002"


def upgrade() -> None:
    move_to_tenant_key("tasks_task", references=["note_id"])


def downgrade() -> None:
    move_to_id_key("tasks_task", references=["note_id"])
