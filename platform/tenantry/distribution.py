"""Whether the schema can be split by tenant: distributed by Citus, or hash-partitioned.

Both split a tenant table by ``tenant_id`` and then hold it to the same rules:

- its primary key and every unique constraint or unique index include
  ``tenant_id`` (uniqueness is only enforced inside one shard or partition);
- a foreign key to another tenant table pairs ``tenant_id`` with ``tenant_id``
  (the two rows then live on the same shard: Citus co-locates them);
- among platform tables it refers to the tenant table only, which becomes a
  Citus reference table (copied to every node); any other platform table is
  operators' data that no shard should depend on;
- no platform table refers to a tenant table (a reference table cannot point
  into a distributed one);
- ``tenant_id`` is ``NOT NULL`` and of the tenant id's type (co-location needs one type).

The rules are judged on the database's own catalog (``pg_constraint``,
``pg_index`` and ``pg_attribute`` on PostgreSQL), so they apply to what the
migrations made, core and plugins alike; ``tenantry db check`` reports them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import Connection, MetaData, inspect

from tenantry.tenancy.mixins import TENANT_TABLE
from tenantry.tenancy.scoping import tenant_tables

DISTRIBUTION_COLUMN = "tenant_id"


@dataclass(frozen=True)
class Reference:
    """A foreign key: ``columns`` of its table -> ``referred_columns`` of ``referred``."""

    name: str
    columns: tuple[str, ...]
    referred: str
    referred_columns: tuple[str, ...]

    def pairs(self) -> set[tuple[str, str]]:
        return set(zip(self.columns, self.referred_columns, strict=True))

    def __str__(self) -> str:
        return (
            f"foreign key {self.name} ({', '.join(self.columns)}) -> "
            f"{self.referred} ({', '.join(self.referred_columns)})"
        )


@dataclass
class TableKeys:
    """What the rules look at in one table, as the catalog has it."""

    name: str
    primary_key: tuple[str, ...] = ()
    #: Unique constraints and unique indexes: (name, plain columns).
    uniques: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)
    #: name -> (type, NOT NULL)
    columns: dict[str, tuple[str, bool]] = field(default_factory=dict)


@dataclass(frozen=True, order=True)
class Problem:
    """One thing that keeps ``table`` from being split by tenant, said for its author."""

    table: str
    message: str

    def __str__(self) -> str:
        return f"{self.table}: {self.message}"


def check(connection: Connection, metadata: MetaData) -> list[Problem]:
    """The problems of every table ``metadata`` declares that the database has, sorted.

    Tenant tables are the mapped ``TenantScoped`` classes' tables (core and loaded
    plugins); every other table on ``metadata`` is a platform table.
    """
    tenant = {table.name for table in tenant_tables()} & set(metadata.tables)
    return problems(read(connection), tenant, set(metadata.tables) - tenant)


def read(connection: Connection) -> dict[str, TableKeys]:
    """The keys of every table in the current schema (partitions are left out)."""
    if connection.dialect.name == "postgresql":
        return _read_postgres(connection)
    return _read_inspector(connection)


def problems(
    tables: Mapping[str, TableKeys], tenant: set[str], platform: set[str]
) -> list[Problem]:
    found: list[Problem] = []
    tenant_id_type = tables[TENANT_TABLE].columns["id"][0] if TENANT_TABLE in tables else None
    for name in sorted(tenant & set(tables)):
        found += _tenant_table_problems(tables[name], tenant, platform, tenant_id_type)
    for name in sorted(platform & set(tables)):
        found += [
            Problem(name, f"{ref} points into a tenant table; a platform table cannot")
            for ref in tables[name].references
            if ref.referred in tenant
        ]
    return sorted(found)


def _tenant_table_problems(
    table: TableKeys, tenant: set[str], platform: set[str], tenant_id_type: str | None
) -> Iterable[Problem]:
    column = table.columns.get(DISTRIBUTION_COLUMN)
    if column is None:
        yield Problem(table.name, f"has no {DISTRIBUTION_COLUMN} column")
        return
    kind, not_null = column
    if not not_null:
        yield Problem(table.name, f"{DISTRIBUTION_COLUMN} may be NULL")
    if tenant_id_type is not None and kind != tenant_id_type:
        yield Problem(
            table.name, f"{DISTRIBUTION_COLUMN} is {kind}, the tenant's id is {tenant_id_type}"
        )
    if not table.primary_key:
        yield Problem(table.name, f"has no primary key; make it ({DISTRIBUTION_COLUMN}, id)")
    elif DISTRIBUTION_COLUMN not in table.primary_key:
        yield Problem(
            table.name,
            f"primary key ({', '.join(table.primary_key)}) does not include {DISTRIBUTION_COLUMN}",
        )
    for name, columns in table.uniques:
        if DISTRIBUTION_COLUMN not in columns:
            yield Problem(
                table.name,
                f"unique {name} ({', '.join(columns) or 'an expression'}) "
                f"does not include {DISTRIBUTION_COLUMN}",
            )
    for ref in table.references:
        if ref.referred == TENANT_TABLE:
            continue
        if ref.referred in tenant:
            if (DISTRIBUTION_COLUMN, DISTRIBUTION_COLUMN) not in ref.pairs():
                yield Problem(
                    table.name,
                    f"{ref} does not pair {DISTRIBUTION_COLUMN} with {DISTRIBUTION_COLUMN}; "
                    "use tenant_foreign_key",
                )
        else:
            where = (
                "a platform table" if ref.referred in platform else "a table tenantry does not know"
            )
            yield Problem(
                table.name,
                f"{ref} points at {where}; among platform tables a tenant table may refer "
                f"to {TENANT_TABLE} only",
            )


# One statement each, over the whole schema. Partitions are skipped, and so are the
# foreign keys PostgreSQL clones for each partition (conparentid <> 0).
_CONSTRAINTS = """
SELECT t.relname, c.conname, c.contype,
       ARRAY(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY AS k(num, pos)
             JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.num ORDER BY k.pos),
       r.relname,
       ARRAY(SELECT a.attname::text FROM unnest(c.confkey) WITH ORDINALITY AS k(num, pos)
             JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.num ORDER BY k.pos)
FROM pg_constraint c
JOIN pg_class t ON t.oid = c.conrelid
LEFT JOIN pg_class r ON r.oid = c.confrelid
WHERE c.contype IN ('p', 'u', 'f') AND c.conparentid = 0 AND NOT t.relispartition
  AND t.relnamespace = current_schema()::regnamespace
"""
# Unique indexes that back no constraint (CREATE UNIQUE INDEX, Index(unique=True)).
_UNIQUE_INDEXES = """
SELECT t.relname, i.relname,
       ARRAY(SELECT a.attname::text FROM unnest(x.indkey) WITH ORDINALITY AS k(num, pos)
             JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.num
             WHERE k.pos <= x.indnkeyatts ORDER BY k.pos)
FROM pg_index x
JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_class t ON t.oid = x.indrelid
WHERE x.indisunique AND NOT t.relispartition
  AND t.relnamespace = current_schema()::regnamespace
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.contype IN ('p', 'u', 'x')
                  AND c.conindid = x.indexrelid AND c.conrelid = x.indrelid)
"""
_COLUMNS = """
SELECT t.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull
FROM pg_attribute a JOIN pg_class t ON t.oid = a.attrelid
WHERE t.relkind IN ('r', 'p') AND NOT t.relispartition AND a.attnum > 0 AND NOT a.attisdropped
  AND t.relnamespace = current_schema()::regnamespace
"""


def _read_postgres(connection: Connection) -> dict[str, TableKeys]:
    tables: dict[str, TableKeys] = {}

    def keys(name: str) -> TableKeys:
        return tables.setdefault(name, TableKeys(name))

    for table, column, kind, not_null in connection.exec_driver_sql(_COLUMNS):
        keys(table).columns[column] = (kind, not_null)
    for table, name, kind, columns, referred, referred_columns in connection.exec_driver_sql(
        _CONSTRAINTS
    ):
        if kind == "p":
            keys(table).primary_key = tuple(columns)
        elif kind == "u":
            keys(table).uniques.append((name, tuple(columns)))
        else:
            keys(table).references.append(
                Reference(name, tuple(columns), referred, tuple(referred_columns))
            )
    for table, name, columns in connection.exec_driver_sql(_UNIQUE_INDEXES):
        keys(table).uniques.append((name, tuple(columns)))
    return tables


def _read_inspector(connection: Connection) -> dict[str, TableKeys]:
    """SQLite (or any other database SQLAlchemy can inspect): the same facts, less directly."""
    found = inspect(connection)
    tables = {}
    for name in found.get_table_names():
        keys = TableKeys(name, tuple(found.get_pk_constraint(name)["constrained_columns"]))
        keys.uniques = [
            (u["name"] or "(unnamed)", tuple(u["column_names"]))
            for u in found.get_unique_constraints(name)
        ]
        keys.uniques += [
            (i["name"] or "(unnamed)", tuple(c for c in i["column_names"] if c))
            for i in found.get_indexes(name)
            if i["unique"]
        ]
        keys.references = [
            Reference(
                f["name"] or "(unnamed)",
                tuple(f["constrained_columns"]),
                f["referred_table"],
                tuple(f["referred_columns"]),
            )
            for f in found.get_foreign_keys(name)
        ]
        keys.columns = {
            c["name"]: (str(c["type"]).lower(), not c["nullable"]) for c in found.get_columns(name)
        }
        tables[name] = keys
    return tables
