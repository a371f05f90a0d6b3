"""The schema hash-partitioned by tenant: the stand-in for Citus that a test run can have.

PostgreSQL's declarative partitioning holds a table to Citus' rules for a
distributed one: every primary key and unique constraint must include the
partition column, and a foreign key to another split table must carry it too
(see ``tenantry.distribution``). Citus is not installable here; partitioning
is. So with ``TENANTRY_TEST_PARTITIONS=8`` the test fixtures migrate PostgreSQL
as usual and then split every tenant table into 8 hash partitions of
``tenant_id`` before any test runs (SQLite, which cannot partition, is left
out of such a run). CI runs the isolation suite, the bundled plugins' tests
and the concurrent load check that way, with row-level security on.
"""

from __future__ import annotations

import os

from sqlalchemy import (
    Connection,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    create_engine,
    inspect,
    text,
)
from sqlalchemy.schema import CreateIndex, CreateTable

from tenantry.settings import Settings
from tenantry.tenancy import rls

#: How many hash partitions each tenant table gets in this test run (0: not partitioned).
VARIABLE = "TENANTRY_TEST_PARTITIONS"


def partitions_wanted() -> int:
    """The number of partitions ``TENANTRY_TEST_PARTITIONS`` asks for, 0 when unset."""
    raw = os.environ.get(VARIABLE, "").strip() or "0"
    if not raw.isdigit() or int(raw) == 1:
        raise ValueError(f"{VARIABLE}={raw!r}: expected a number of partitions, 2 or more")
    return int(raw)


def partition_tenant_tables(settings: Settings, metadata: MetaData, count: int) -> None:
    """Re-create every tenant table of a freshly migrated, empty database, split by tenant.

    Each table is rebuilt from what the migrations made (reflected: names,
    identity, constraints, indexes) as ``PARTITION BY HASH (tenant_id)`` with
    ``count`` partitions ``<table>_p<n>``. Row-level security goes on the table
    and on each partition (``rls.sync``), since a partition queried by name has only
    its own.
    """
    engine = create_engine(settings.effective_migrations_url)
    with engine.begin() as connection:
        names = rls.tenant_tables(metadata)
        connection.execute(text("SELECT set_config('tenantry.all_tenants', 'on', true)"))
        for name in names:
            if connection.execute(text(f'SELECT EXISTS (SELECT FROM "{name}")')).scalar():
                raise RuntimeError(f"{name} has rows; only an empty database is partitioned")
        found = MetaData()
        found.reflect(connection, only=names)
        tables = [table for table in found.sorted_tables if table.name in names]
        for table in tables:  # a reflected key would put its identity column first
            key = inspect(connection).get_pk_constraint(table.name)
            table.append_constraint(
                PrimaryKeyConstraint(*key["constrained_columns"], name=key["name"])
            )
        connection.execute(text("DROP TABLE " + ", ".join(f'"{name}"' for name in names)))
        for table in tables:
            _create_partitioned(connection, table, count)
        rls.sync(
            connection,
            metadata,
            app_url=settings.database_url,
            platform_url=settings.effective_platform_url,
        )
    engine.dispose()


def _create_partitioned(connection: Connection, table: Table, count: int) -> None:
    table.dialect_options["postgresql"]["partition_by"] = "HASH (tenant_id)"
    connection.execute(CreateTable(table))
    for index in table.indexes:
        connection.execute(CreateIndex(index))
    for n in range(count):
        partition = f"{table.name}_p{n}"
        connection.execute(
            text(
                f'CREATE TABLE "{partition}" PARTITION OF "{table.name}"'
                f" FOR VALUES WITH (MODULUS {count}, REMAINDER {n})"
            )
        )
