"""identity providers: a tenant's OpenID Connect issuers

Tenant scope of the new table: tenantry_oidc_provider is TenantScoped (row-level
security on PostgreSQL, brought in line by the migration environment): a tenant's
admins set up its issuers, only its host offers them.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 23:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tenantry_oidc_provider",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("issuer", sa.String(length=500), nullable=False),
        sa.Column("client_id", sa.String(length=255), nullable=False),
        sa.Column("client_secret_sealed", sa.String(length=1000), nullable=False),
        sa.Column("allowed_domains", sa.String(length=1000), nullable=False),
        sa.Column("auto_provision", sa.Boolean(), nullable=False),
        sa.Column("default_role", sa.String(length=16), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "default_role IN ('member', 'admin')",
            name=op.f("ck_tenantry_oidc_provider_default_role"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenantry_tenant.id"],
            name=op.f("fk_tenantry_oidc_provider_tenant_id_tenantry_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_tenantry_oidc_provider")),
        sa.UniqueConstraint(
            "tenant_id", "name", name=op.f("uq_tenantry_oidc_provider_tenant_id_name")
        ),
    )
    with op.batch_alter_table("tenantry_oidc_provider", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tenantry_oidc_provider_id"), ["id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("tenantry_oidc_provider", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tenantry_oidc_provider_id"))
    op.drop_table("tenantry_oidc_provider")
