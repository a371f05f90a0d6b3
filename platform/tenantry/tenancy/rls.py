"""PostgreSQL row-level security: the database's own guard behind the ORM's.

Every tenant-scoped table gets one policy comparing ``tenant_id`` with the
transaction-local setting ``tenantry.tenant_id``, so even raw SQL run for
tenant A sees only A's rows. ``tenantry.all_tenants = 'on'`` (set only inside
``all_tenants()``) lets operators' code through. FORCE makes the policy apply
to the table owner too; the application must still connect as a role that is
neither superuser nor BYPASSRLS, because those skip every policy.

On SQLite there is no such guard: the ORM scoping is the only one, so raw SQL
there must filter by tenant itself.
"""

from __future__ import annotations

from sqlalchemy import Connection, MetaData, inspect, text
from sqlalchemy.engine import make_url

from tenantry.tenancy import scoping

POLICY = "tenantry_tenant_isolation"
_CONDITION = (
    "current_setting('tenantry.all_tenants', true) = 'on' OR "
    "tenant_id = NULLIF(current_setting('tenantry.tenant_id', true), '')::integer"
)


def tenant_tables(metadata: MetaData) -> list[str]:
    """Names of the tenant-scoped tables that are on ``metadata``, sorted."""
    return sorted(t.name for t in scoping.tenant_tables() if t.name in metadata.tables)


def enable(connection: Connection, table: str) -> None:
    """Put the isolation policy on one table (idempotent); usable from a migration."""
    quoted = connection.dialect.identifier_preparer.quote(table)
    connection.execute(text(f"ALTER TABLE {quoted} ENABLE ROW LEVEL SECURITY"))
    connection.execute(text(f"ALTER TABLE {quoted} FORCE ROW LEVEL SECURITY"))
    connection.execute(text(f"DROP POLICY IF EXISTS {POLICY} ON {quoted}"))
    connection.execute(
        text(f"CREATE POLICY {POLICY} ON {quoted} USING ({_CONDITION}) WITH CHECK ({_CONDITION})")
    )


def sync(connection: Connection, metadata: MetaData, app_url: str) -> None:
    """After migrating: policies on every existing tenant-scoped table, grants to the app role."""
    existing = set(inspect(connection).get_table_names())
    for table in tenant_tables(metadata):
        if table in existing:
            enable(connection, table)
    app_role = make_url(app_url).username
    owner = connection.exec_driver_sql("SELECT current_user").scalar()
    if app_role and app_role != owner:
        role = connection.dialect.identifier_preparer.quote(app_role)
        connection.execute(
            text(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}")
        )
        connection.execute(text(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}"))
