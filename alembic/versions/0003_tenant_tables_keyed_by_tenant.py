"""tenant tables keyed (tenant_id, id) with bigint ids; API token hashes unique per tenant

Every primary key and unique constraint of a tenant table now includes tenant_id,
so the tables can be partitioned or distributed (Citus) by tenant: see
docs/scaling.md. Only keys and types change; every row keeps its id.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 20:05:00.000000
"""

from collections.abc import Sequence

from alembic import op

from tenantry.tenant_keys import move_to_id_key, move_to_tenant_key

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    move_to_tenant_key("tenantry_user")
    move_to_tenant_key("tenantry_api_token", references=["user_id"])
    # A token is looked up on its tenant's host: unique per tenant is what that needs.
    with op.batch_alter_table("tenantry_api_token") as batch_op:
        batch_op.drop_constraint("uq_tenantry_api_token_token_hash", type_="unique")
        batch_op.create_unique_constraint(
            "uq_tenantry_api_token_tenant_id_token_hash", ["tenant_id", "token_hash"]
        )


def downgrade() -> None:
    with op.batch_alter_table("tenantry_api_token") as batch_op:
        batch_op.drop_constraint("uq_tenantry_api_token_tenant_id_token_hash", type_="unique")
        batch_op.create_unique_constraint("uq_tenantry_api_token_token_hash", ["token_hash"])
    move_to_id_key("tenantry_api_token", references=["user_id"])
    move_to_id_key("tenantry_user")
