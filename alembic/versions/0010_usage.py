"""usage per tenant per day, for the dashboards (tenantry/usage.py)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26 23:30:00.000000

Scope: Global (the platform's record) with a tenant_id. tenantry_usage_day is read by the
tenant role for its own tenant only (row-level security, applied by `tenantry db upgrade`
from the model); tenantry_usage_user is hidden from that role. Rows go with their tenant
(ON DELETE CASCADE).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _tenant_key(table: str) -> list[sa.ForeignKeyConstraint]:
    return [
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenantry_tenant.id"],
            name=op.f(f"fk_{table}_tenant_id_tenantry_tenant"),
            ondelete="CASCADE",
        ),
    ]


def upgrade() -> None:
    op.create_table(
        "tenantry_usage_day",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("requests", sa.BigInteger(), nullable=False),
        sa.Column("errors", sa.BigInteger(), nullable=False),
        sa.Column("active_users", sa.Integer(), nullable=False),
        sa.Column("rows", sa.JSON(), nullable=True),
        sa.Column("storage_bytes", sa.BigInteger(), nullable=False),
        *_tenant_key("tenantry_usage_day"),
        sa.PrimaryKeyConstraint("tenant_id", "day", name=op.f("pk_tenantry_usage_day")),
    )
    op.create_table(
        "tenantry_usage_user",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        *_tenant_key("tenantry_usage_user"),
        sa.PrimaryKeyConstraint("tenant_id", "day", "user_id", name=op.f("pk_tenantry_usage_user")),
    )


def downgrade() -> None:
    op.drop_table("tenantry_usage_user")
    op.drop_table("tenantry_usage_day")
