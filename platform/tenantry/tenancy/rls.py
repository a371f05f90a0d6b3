"""PostgreSQL row-level security and privileges: the database's own guard behind the ORM's.

Three roles (README, Deployment), each allowed what its work needs:

- the tenant role (``database_url``) serves tenants' hosts. On each tenant
  table one policy shows it the rows of the tenant named in
  ``tenantry.tenant_id``, and only when that token's MAC checks out
  (``tenantry_current_tenant()``, see ``tokens``): whatever SQL it sends, an
  injection's included, it reaches that one tenant's rows. It may read
  platform tables (not operators' accounts) and write none of them beyond what
  a tenant admin does (``Global.__tenant_role_grants__``).
- the platform role (``platform_database_url``) does cross-tenant work: a
  second policy, for it and the owner only, shows every row while
  ``tenantry.all_tenants`` is ``on`` (inside ``all_tenants()``); elsewhere
  the first policy confines it like the tenant role.
- the owner (``migrations_database_url``) migrates; FORCE applies the policies
  to it too. Superusers and BYPASSRLS roles skip every policy, so the
  application must connect as neither.

On SQLite there is no such guard: the ORM scoping is the only one, so raw SQL
there must filter by tenant itself.
"""

from __future__ import annotations

import logging

from sqlalchemy import Connection, MetaData, inspect, text
from sqlalchemy.engine import make_url

from tenantry.db import Base
from tenantry.tenancy import scoping
from tenantry.tenancy.mixins import Global

log = logging.getLogger(__name__)

POLICY = "tenantry_tenant_isolation"
PLATFORM_POLICY = "tenantry_platform_access"
#: Created by the core's migration 0004: the key and the function that checks tokens with it.
KEY_SCHEMA = "tenantry_private"
KEY_TABLE = f"{KEY_SCHEMA}.rls_key"
_OWN_TENANT = "tenant_id = (SELECT public.tenantry_current_tenant())"
_PARTITIONS = (
    "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
    " JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = ANY(%s)"
)
_HAS_TOKEN_CHECK = "SELECT to_regprocedure('public.tenantry_current_tenant()') IS NOT NULL"
_ALL_TENANTS = "current_setting('tenantry.all_tenants', true) = 'on'"
_VERSION_TABLE = "alembic_version"


def tenant_tables(metadata: MetaData) -> list[str]:
    """Names of the tenant-scoped tables that are on ``metadata``, sorted."""
    return sorted(t.name for t in scoping.tenant_tables() if t.name in metadata.tables)


def enable(connection: Connection, table: str, trusted_roles: list[str], everything: str) -> None:
    """Put both policies on one table (idempotent).

    ``everything`` is when ``trusted_roles`` (platform, owner) see every row:
    ``_ALL_TENANTS`` for tenant tables, ``true`` for a platform table with rows per tenant.
    """
    quote = connection.dialect.identifier_preparer.quote
    name = quote(table)
    connection.execute(text(f"ALTER TABLE {name} ENABLE ROW LEVEL SECURITY"))
    connection.execute(text(f"ALTER TABLE {name} FORCE ROW LEVEL SECURITY"))
    for policy in (POLICY, PLATFORM_POLICY):
        connection.execute(text(f"DROP POLICY IF EXISTS {policy} ON {name}"))
    connection.execute(
        text(f"CREATE POLICY {POLICY} ON {name} USING ({_OWN_TENANT}) WITH CHECK ({_OWN_TENANT})")
    )
    roles = ", ".join(quote(role) for role in trusted_roles)
    connection.execute(
        text(
            f"CREATE POLICY {PLATFORM_POLICY} ON {name} TO {roles} "
            f"USING ({everything}) WITH CHECK ({everything})"
        )
    )


def sync(connection: Connection, metadata: MetaData, app_url: str, platform_url: str) -> None:
    """After migrating: policies on every tenant table, each role's privileges.

    Only tables this process knows are changed, except that a table already
    carrying the policy (a plugin not loaded here) gets its current form.
    """
    existing = set(inspect(connection).get_table_names())
    owner = connection.exec_driver_sql("SELECT current_user").scalar()
    app_role = make_url(app_url).username or owner
    platform_role = make_url(platform_url).username or owner
    trusted = sorted({platform_role, owner})
    if app_role in trusted:
        log.warning(
            "the tenant role %r is also the platform role or the owner: row-level security "
            "cannot contain SQL injection on tenants' hosts; give it a role of its own",
            app_role,
        )
    with_policy = set(
        connection.exec_driver_sql(
            "SELECT tablename FROM pg_policies WHERE schemaname = 'public' AND policyname = %s",
            (POLICY,),
        ).scalars()
    )
    # Below the core revision that creates the token check (0007), the policies stay as
    # that revision's upgrade will replace them: a database migrated step by step.
    token_check = connection.exec_driver_sql(_HAS_TOKEN_CHECK).scalar()
    if token_check:
        tables = (set(tenant_tables(metadata)) & existing) | with_policy
        # A partition queried by name has only its own policies (docs/scaling.md).
        tables |= set(connection.exec_driver_sql(_PARTITIONS, (sorted(tables),)).scalars())
        for table in sorted(tables):
            enable(connection, table, trusted, _ALL_TENANTS)
        for table, model in _global_tables(metadata).items():
            if table in existing and model.__tenant_rows__:
                enable(connection, table, trusted, "true")
    if app_role not in trusted:
        _grant_tenant_role(connection, metadata, existing, app_role)
    if platform_role != owner:
        _grant_platform_role(connection, existing, platform_role, token_check)


def _global_tables(metadata: MetaData) -> dict[str, type[Global]]:
    return {
        mapper.local_table.name: mapper.class_
        for mapper in Base.registry.mappers
        if issubclass(mapper.class_, Global) and mapper.local_table.name in metadata.tables
    }


def _grant_tenant_role(
    connection: Connection, metadata: MetaData, existing: set[str], role: str
) -> None:
    quote = connection.dialect.identifier_preparer.quote
    grants = {table: ("SELECT", "INSERT", "UPDATE", "DELETE") for table in tenant_tables(metadata)}
    grants.update(
        {table: model.__tenant_role_grants__ for table, model in _global_tables(metadata).items()}
    )
    grants[_VERSION_TABLE] = ("SELECT",)  # /readyz compares the revisions
    for table, privileges in sorted(grants.items()):
        if table not in existing:
            continue
        connection.execute(text(f"REVOKE ALL ON {quote(table)} FROM {quote(role)}"))
        if privileges:
            granted = ", ".join(privileges)
            connection.execute(text(f"GRANT {granted} ON {quote(table)} TO {quote(role)}"))
    connection.execute(
        text(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quote(role)}")
    )


def _grant_platform_role(
    connection: Connection, existing: set[str], role: str, token_check: bool
) -> None:
    quoted = connection.dialect.identifier_preparer.quote(role)
    statements = [
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}",
    ]
    if token_check:  # the key it signs tenant settings with exists from core 0007 on
        statements += [
            f"GRANT USAGE ON SCHEMA {KEY_SCHEMA} TO {quoted}",
            f"GRANT SELECT ON {KEY_TABLE} TO {quoted}",
        ]
    for statement in statements:
        connection.execute(text(statement))
    if _VERSION_TABLE in existing:
        connection.execute(text(f"REVOKE INSERT, UPDATE, DELETE ON {_VERSION_TABLE} FROM {quoted}"))
