"""users have a known role: the Role enum's values, checked by the database

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 19:27:18.346163
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tenantry_user") as batch_op:
        batch_op.create_check_constraint("role", "role IN ('member', 'admin')")


def downgrade() -> None:
    with op.batch_alter_table("tenantry_user") as batch_op:
        batch_op.drop_constraint("role", type_="check")
