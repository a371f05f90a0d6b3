"""tenant operations: exports and purges operators start, with their progress

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 20:00:00.000000

Scope: Global (the operators' record, shown in the platform admin; tenant code never
reads it), so no row-level security policy. Rows go with their tenant (ON DELETE CASCADE).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tenantry_tenant_operation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("file", sa.String(length=255), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("requested_by", sa.String(length=254), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        # Written by hand: autogenerate does not detect CHECK constraints.
        sa.CheckConstraint(
            "kind IN ('export', 'purge')", name=op.f("ck_tenantry_tenant_operation_kind")
        ),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'done', 'failed')",
            name=op.f("ck_tenantry_tenant_operation_status"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenantry_tenant.id"],
            name=op.f("fk_tenantry_tenant_operation_tenant_id_tenantry_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenantry_tenant_operation")),
    )
    with op.batch_alter_table("tenantry_tenant_operation") as batch_op:
        batch_op.create_index(
            batch_op.f("ix_tenantry_tenant_operation_tenant_id"), ["tenant_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("tenantry_tenant_operation") as batch_op:
        batch_op.drop_index(batch_op.f("ix_tenantry_tenant_operation_tenant_id"))
    op.drop_table("tenantry_tenant_operation")
