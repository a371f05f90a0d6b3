"""publicpage: the publicpage_note table

Revision ID: publicpage_0001
Revises:
Create Date: 2026-11-26 (from `tenantry plugins new`'s scaffold)
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "publicpage_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("publicpage",)
depends_on: str | Sequence[str] | None = "tenantry"


def upgrade() -> None:
    op.create_table(
        "publicpage_note",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenantry_tenant.id"],
            name=op.f("fk_publicpage_note_tenant_id_tenantry_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_publicpage_note")),
    )
    with op.batch_alter_table("publicpage_note", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_publicpage_note_id"), ["id"], unique=False)
        batch_op.create_index(
            "ix_publicpage_note_tenant_created", ["tenant_id", "created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("publicpage_note", schema=None) as batch_op:
        batch_op.drop_index("ix_publicpage_note_tenant_created")
        batch_op.drop_index(batch_op.f("ix_publicpage_note_id"))

    op.drop_table("publicpage_note")
