"""notes keyed (tenant_id, id) with bigint ids, like every tenant table

Revision ID: notes_0002
Revises: notes_0001
Create Date: 2026-11-26 20:05:00.000000
"""

from collections.abc import Sequence

from tenantry import move_to_id_key, move_to_tenant_key

revision: str = "notes_0002"
down_revision: str | Sequence[str] | None = "notes_0001"
branch_labels: str | Sequence[str] | None = None
# author_id becomes a bigint to match the users' ids, which the core's 0003 widens.
depends_on: str | Sequence[str] | None = "0003"


def upgrade() -> None:
    move_to_tenant_key("notes_note", references=["author_id"])


def downgrade() -> None:
    move_to_id_key("notes_note", references=["author_id"])
