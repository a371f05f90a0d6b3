"""How a model declares its tenant scope, and the keys every tenant table has.

Every mapped class states one: ``TenantScoped`` (rows belong to one tenant and
are confined automatically) or ``Global`` (platform tables such as tenants and
domains). A plugin model that declares neither is refused at load time.

Tenant tables are keyed ``(tenant_id, id)``: a table whose every primary key,
unique constraint and foreign key includes ``tenant_id`` can be hash-partitioned
or distributed (Citus) by tenant, so one tenant's rows stay together on one
shard. ``id`` still comes from one sequence per table, so it alone names a row
in URLs, ``session.get(Note, id)`` and relationships (see ``tenant_join``).
"""

from __future__ import annotations

from inspect import get_annotations
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, ForeignKey, ForeignKeyConstraint, Identity, and_
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Mapped, declared_attr, foreign, mapped_column
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.visitors import InternalTraversal

TENANT_TABLE = "tenantry_tenant"


class Global:
    """Marks a platform-wide table: not confined to a tenant; only operators' code writes it.

    On PostgreSQL the role that serves tenants' hosts may only read it (the
    platform role writes it), unless the class says otherwise below.
    """

    #: What the role serving tenants may do with this table, as PostgreSQL privileges
    #: (``"UPDATE (col)"`` for a column); ``()`` hides it from that role altogether.
    __tenant_role_grants__: tuple[str, ...] = ("SELECT",)
    #: The rows carry a ``tenant_id`` and that role sees only its own tenant's
    #: (a row-level security policy, like a TenantScoped table's).
    __tenant_rows__: bool = False


class NextId(ColumnElement[int]):
    """The value an INSERT gives a tenant table's ``id``: the table's next id.

    On PostgreSQL it is ``DEFAULT``, the column's identity sequence, evaluated by
    the INSERT itself (no extra round trip; the id comes back with RETURNING).
    SQLite has no sequences, and its rowid is not ``id`` once the primary key has
    two columns, so there it is one more than the largest id, read by the INSERT
    while it holds SQLite's single write lock: two writers never take the same id.
    As with SQLite's own rowids, the largest id is used again once its row is gone.
    """

    type = BigInteger()
    inherit_cache = True
    _traverse_internals = [("table", InternalTraversal.dp_string)]

    def __init__(self, table: str):
        self.table = table


@compiles(NextId)
def _next_id_default(_element: NextId, _compiler: SQLCompiler, **_kw: Any) -> str:
    return "DEFAULT"


@compiles(NextId, "sqlite")
def _next_id_sqlite(element: NextId, compiler: SQLCompiler, **_kw: Any) -> str:
    table = compiler.preparer.quote(element.table)
    return f"(SELECT coalesce(max(id), 0) + 1 FROM {table})"


class TenantScoped:
    """Rows that belong to exactly one tenant, keyed ``(tenant_id, id)``.

    Adds ``tenant_id`` (the tenant's id, first column of the primary key) and
    ``id`` (a bigint from the table's own sequence, unique in the table). ``id`` is
    also indexed on its own: operators look rows up by id across tenants, and on
    SQLite the next id is read from it (1 us with the index, a scan without).
    Foreign keys from other tenant tables point at the whole key
    (``tenant_foreign_key``), so a row can never reference another tenant's row,
    even on SQLite.
    """

    @declared_attr
    def tenant_id(cls) -> Mapped[int]:
        return mapped_column(
            ForeignKey(f"{TENANT_TABLE}.id", ondelete="CASCADE"), primary_key=True, sort_order=-2
        )

    @declared_attr
    def id(cls) -> Mapped[int]:
        return mapped_column(
            BigInteger,
            Identity(),
            primary_key=True,
            default=NextId(cls.__tablename__),  # type: ignore[attr-defined]
            index=True,
            sort_order=-1,
        )

    def __init_subclass__(cls, **kwargs: object) -> None:
        if "__tablename__" in cls.__dict__:
            _refuse_own_keys(cls)
        super().__init_subclass__(**kwargs)


def _refuse_own_keys(cls: type) -> None:
    """A tenant model (or a mixin listed before TenantScoped) must not declare the keys:
    its own ``id`` would win over TenantScoped's and lose the bigint and its generator."""
    found: dict[str, str] = {}
    for klass in cls.__mro__:
        if klass is TenantScoped:
            break
        for name in sorted({*klass.__dict__, *get_annotations(klass)} & {"id", "tenant_id"}):
            found.setdefault(name, klass.__name__)
    if not found:
        return
    where = {owner for owner in found.values() if owner != cls.__name__}
    through = f" (through {', '.join(sorted(where))})" if where else ""
    raise TypeError(
        f"{cls.__name__} declares {' and '.join(sorted(found))} itself{through}; TenantScoped "
        "gives every tenant table tenant_id and a bigint id, keyed (tenant_id, id): "
        "remove the declaration"
    )


def tenant_foreign_key(
    column: str, target_table: str, *, ondelete: str | None = None
) -> ForeignKeyConstraint:
    """A composite foreign key ``(tenant_id, column) -> target(tenant_id, id)``.

    Use it in ``__table_args__`` of a TenantScoped model for every reference to
    another tenant-scoped table: the database itself then refuses a row that
    points at another tenant's row. ``column`` is a ``BigInteger``, like the id.
    """
    return ForeignKeyConstraint(
        ["tenant_id", column],
        [f"{target_table}.tenant_id", f"{target_table}.id"],
        ondelete=ondelete,
    )


def tenant_join(reference: Any, target: type) -> ColumnElement[bool]:
    """The join condition of a relationship over a ``tenant_foreign_key``::

        author: Mapped[User | None] = relationship(
            primaryjoin=lambda: tenant_join(Note.author_id, User)
        )

    It compares the whole key, so many-to-one loads are answered from the
    identity map and joins stay inside one tenant (on Citus: on one shard); only
    ``reference`` is the relationship's to write, so assigning ``None`` clears it
    and never ``tenant_id``.
    """
    source = reference.class_
    return and_(target.tenant_id == source.tenant_id, target.id == foreign(reference))  # type: ignore[attr-defined]
