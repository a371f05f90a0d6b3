"""How a model declares its tenant scope.

Every mapped class states one: ``TenantScoped`` (rows belong to one tenant and
are confined automatically) or ``Global`` (platform tables such as tenants and
domains). A plugin model that declares neither is refused at load time.
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, ForeignKeyConstraint, UniqueConstraint
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

TENANT_TABLE = "tenantry_tenant"


class Global:
    """Marks a platform-wide table: not confined to a tenant; only operators' code writes it."""


class TenantScoped:
    """Rows that belong to exactly one tenant.

    Adds ``tenant_id`` and a unique ``(tenant_id, id)`` pair, which is what
    composite foreign keys from other tenant-scoped tables point at (so a row
    can never reference another tenant's row, even on SQLite) and what keeps
    the table distributable by ``tenant_id`` on Citus.
    """

    @declared_attr
    def tenant_id(cls) -> Mapped[int]:
        return mapped_column(
            ForeignKey(f"{TENANT_TABLE}.id", ondelete="CASCADE"), index=True, nullable=False
        )

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        table = cls.__dict__.get("__table__")
        if table is None or "id" not in table.c:
            return
        wanted = {"tenant_id", "id"}
        if not any(
            isinstance(c, UniqueConstraint) and set(c.columns.keys()) == wanted
            for c in table.constraints
        ):
            table.append_constraint(UniqueConstraint("tenant_id", "id"))


def tenant_foreign_key(
    column: str, target_table: str, *, ondelete: str | None = None
) -> ForeignKeyConstraint:
    """A composite foreign key ``(tenant_id, column) -> target(tenant_id, id)``.

    Use it in ``__table_args__`` of a TenantScoped model for every reference to
    another tenant-scoped table: the database itself then refuses a row that
    points at another tenant's row.
    """
    return ForeignKeyConstraint(
        ["tenant_id", column],
        [f"{target_table}.tenant_id", f"{target_table}.id"],
        ondelete=ondelete,
    )
