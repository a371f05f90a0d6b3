"""accounts and onboarding: sign-in sessions, invitations, the audit log, purge dates, plugin locks

Tenant scope of each new table:
- tenantry_user_session, tenantry_invitation: TenantScoped (row-level security on PostgreSQL);
- tenantry_audit_entry: TenantScoped; tenantry_platform_audit_entry: Global (platform
  events, which only operators' code reads); the database refuses any UPDATE of a row;
- tenantry_operator_session, tenantry_operator_invitation: Global (platform operators).
New columns: tenantry_tenant.purge_after (Global), tenantry_tenant_plugin.locked (Global).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 19:45:08.468691
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tenantry_operator_invitation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("nonce_hash", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("invited_by", sa.String(length=254), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenantry_operator_invitation")),
        sa.UniqueConstraint("email", name=op.f("uq_tenantry_operator_invitation_email")),
        sa.UniqueConstraint("nonce_hash", name=op.f("uq_tenantry_operator_invitation_nonce_hash")),
    )
    op.create_table(
        "tenantry_platform_audit_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        *_audit_columns(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenantry_platform_audit_entry")),
    )
    with op.batch_alter_table("tenantry_platform_audit_entry", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_tenantry_platform_audit_entry_action"), ["action"], unique=False
        )
    op.create_table(
        "tenantry_audit_entry",
        *_tenant_key(),
        *_audit_columns(),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenantry_tenant.id"],
            name=op.f("fk_tenantry_audit_entry_tenant_id_tenantry_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_tenantry_audit_entry")),
    )
    with op.batch_alter_table("tenantry_audit_entry", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_tenantry_audit_entry_action"), ["action"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_tenantry_audit_entry_id"), ["id"], unique=False)
        batch_op.create_index(
            "ix_tenantry_audit_entry_tenant_id_at", ["tenant_id", "at"], unique=False
        )
    op.create_table(
        "tenantry_invitation",
        *_tenant_key(),
        sa.Column("nonce_hash", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("invited_by", sa.String(length=254), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("role IN ('member', 'admin')", name=op.f("ck_tenantry_invitation_role")),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenantry_tenant.id"],
            name=op.f("fk_tenantry_invitation_tenant_id_tenantry_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_tenantry_invitation")),
        sa.UniqueConstraint(
            "tenant_id", "email", name=op.f("uq_tenantry_invitation_tenant_id_email")
        ),
        sa.UniqueConstraint(
            "tenant_id", "nonce_hash", name=op.f("uq_tenantry_invitation_tenant_id_nonce_hash")
        ),
    )
    with op.batch_alter_table("tenantry_invitation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tenantry_invitation_id"), ["id"], unique=False)
    op.create_table(
        "tenantry_operator_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=45), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["tenantry_operator.id"],
            name=op.f("fk_tenantry_operator_session_operator_id_tenantry_operator"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenantry_operator_session")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_tenantry_operator_session_key_hash")),
    )
    with op.batch_alter_table("tenantry_operator_session", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_tenantry_operator_session_operator_id"), ["operator_id"], unique=False
        )
    op.create_table(
        "tenantry_user_session",
        *_tenant_key(),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("address", sa.String(length=45), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "user_id"],
            ["tenantry_user.tenant_id", "tenantry_user.id"],
            name=op.f("fk_tenantry_user_session_tenant_id_user_id_tenantry_user"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenantry_tenant.id"],
            name=op.f("fk_tenantry_user_session_tenant_id_tenantry_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_tenantry_user_session")),
        sa.UniqueConstraint(
            "tenant_id", "key_hash", name=op.f("uq_tenantry_user_session_tenant_id_key_hash")
        ),
    )
    with op.batch_alter_table("tenantry_user_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tenantry_user_session_id"), ["id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_tenantry_user_session_user_id"), ["user_id"], unique=False
        )

    with op.batch_alter_table("tenantry_tenant", schema=None) as batch_op:
        batch_op.add_column(sa.Column("purge_after", sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table("tenantry_tenant_plugin", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("locked", sa.Boolean(), nullable=False, server_default=sa.false())
        )

    # ### end Alembic commands ###
    _refuse_updates_of_audit_entries()


APPEND_ONLY = "audit entries are append-only"
AUDIT_TABLES = ("tenantry_audit_entry", "tenantry_platform_audit_entry")


def _tenant_key() -> list[sa.Column]:
    """A tenant table's key, as the TenantScoped mixin declares it: ``(tenant_id, id)``."""
    return [
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
    ]


def _audit_columns() -> list[sa.Column]:
    return [
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_kind", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.BigInteger(), nullable=True),
        sa.Column("actor_label", sa.String(length=254), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target_kind", sa.String(length=64), nullable=True),
        sa.Column("target_id", sa.String(length=64), nullable=True),
        sa.Column("target_label", sa.String(length=254), nullable=True),
        sa.Column("address", sa.String(length=45), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
    ]


def _refuse_updates_of_audit_entries() -> None:
    """The logs keep what happened: an entry is never changed (it may go with its tenant)."""
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute(
            "CREATE FUNCTION tenantry_audit_entry_append_only() RETURNS trigger "
            f"LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '{APPEND_ONLY}'; END $$"
        )
    for table in AUDIT_TABLES:
        if postgres:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION tenantry_audit_entry_append_only()"
            )
        else:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END"
            )


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in AUDIT_TABLES:
        op.execute(f"DROP TRIGGER {table}_append_only" + (f" ON {table}" if postgres else ""))
    if postgres:
        op.execute("DROP FUNCTION tenantry_audit_entry_append_only()")
    # ### commands auto generated by Alembic - please adjust! ###
    with op.batch_alter_table("tenantry_tenant_plugin", schema=None) as batch_op:
        batch_op.drop_column("locked")

    with op.batch_alter_table("tenantry_tenant", schema=None) as batch_op:
        batch_op.drop_column("purge_after")

    with op.batch_alter_table("tenantry_user_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tenantry_user_session_user_id"))
        batch_op.drop_index(batch_op.f("ix_tenantry_user_session_id"))

    op.drop_table("tenantry_user_session")
    with op.batch_alter_table("tenantry_operator_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tenantry_operator_session_operator_id"))

    op.drop_table("tenantry_operator_session")
    with op.batch_alter_table("tenantry_invitation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tenantry_invitation_id"))

    op.drop_table("tenantry_invitation")
    with op.batch_alter_table("tenantry_audit_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_tenantry_audit_entry_tenant_id_at")
        batch_op.drop_index(batch_op.f("ix_tenantry_audit_entry_id"))
        batch_op.drop_index(batch_op.f("ix_tenantry_audit_entry_action"))

    op.drop_table("tenantry_audit_entry")
    with op.batch_alter_table("tenantry_platform_audit_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tenantry_platform_audit_entry_action"))

    op.drop_table("tenantry_platform_audit_entry")
    op.drop_table("tenantry_operator_invitation")
    # ### end Alembic commands ###
