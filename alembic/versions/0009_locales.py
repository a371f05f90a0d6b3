"""tenants have a default language and users their own choice; NULL: no choice

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 23:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for table in ("tenantry_tenant", "tenantry_user"):
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column("locale", sa.String(length=16), nullable=True))


def downgrade() -> None:
    for table in ("tenantry_user", "tenantry_tenant"):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column("locale")
