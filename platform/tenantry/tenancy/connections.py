"""PostgreSQL connections of both roles: each statement runs under its code's tenant.

Row-level security reads two settings, ``tenantry.tenant_id`` (a token, see
``tokens``) and ``tenantry.all_tenants`` (believed for the platform role only).
This module keeps them equal to the running code's context at the connection
level, for every statement: ORM or raw, through a session or a bare connection.

- A transaction's first statement is preceded by (or, for a session, carries:
  see ``scoping``) a ``set_config(..., true)`` of both, transaction-local, after
  clearing their session-level values: a plugin's ``set_config(..., false)``
  would otherwise survive COMMIT, ROLLBACK and the pool, and reach the next
  request on that connection. So every transaction starts clean.
- A later statement re-sets them first when the context changed since (a
  ``tenant_context`` entered inside the transaction) or when a savepoint was
  rolled back (which restores the values of its start).
- A connection in autocommit (a read-only request's reader, see ``replicas``)
  has no transaction to hold them: its first statement after each checkout sets
  them for the database session instead, and so does every statement after a
  change of context. Its next user sets them again before anything else, and a
  transaction's first statement still clears them (``CLEAN``). Never behind
  PgBouncer in transaction mode, where the next statement may run on another
  server connection (``engines``).
"""

from __future__ import annotations

from typing import Any

from psycopg.pq import TransactionStatus
from sqlalchemy import Connection, Engine, event

from tenantry.engines import Engines
from tenantry.tenancy.context import bypassing, get_tenant
from tenantry.tenancy.tokens import TenantTokens, key_reader

#: Execution option of a statement that includes ``SETTINGS`` and ``CLEAN`` itself; the
#: hook supplies their parameters.
SETS_RLS = "tenantry_sets_rls"
SETTINGS = (
    "set_config('tenantry.tenant_id', %(tenantry_token)s, %(tenantry_local)s),"
    " set_config('tenantry.all_tenants', %(tenantry_all)s, %(tenantry_local)s)"
)
#: A FROM item that clears the session-level values; evaluated before the select list.
CLEAN = (
    "(SELECT set_config('tenantry.tenant_id', '', false),"
    " set_config('tenantry.all_tenants', '', false)) AS tenantry_clean"
)
_PLATFORM_ONLY = "tenantry_platform_tables_only"
#: Execution options of a connection that reads platform tables only (no row-level
#: security): its statements go out without the settings. Its next user still starts clean.
PLATFORM_TABLES_ONLY = {_PLATFORM_ONLY: True}
_SYNC = f"SELECT {SETTINGS} FROM {CLEAN}"
_SYNCING = "tenantry_syncing_rls"
_STATE = "tenantry.rls_state"

Wanted = tuple[int | None, bool]


def install_all(engines: Engines) -> None:
    """Both roles' engines and the replicas', with tokens signed by the key the platform
    role reads (on the primary)."""
    tokens = TenantTokens(key_reader(engines.platform))
    for engine in {engines.primary, engines.platform, *engines.replicas}:
        install(engine, tokens)


def install(engine: Engine, tokens: TenantTokens) -> None:
    """Keep the settings of every connection of ``engine`` in step with the context."""
    if engine.dialect.name != "postgresql":
        return

    def before_cursor_execute(
        conn: Connection,
        cursor: Any,
        statement: str,
        parameters: Any,
        context: Any,
        _executemany: bool,
    ) -> tuple[str, Any]:
        options = context.execution_options
        if options.get(_SYNCING) or options.get(_PLATFORM_ONLY):
            return statement, parameters
        wanted = (tenant.id if (tenant := get_tenant()) else None, bypassing())
        dbapi_connection = cursor.connection
        if options.get(SETS_RLS):
            conn.info[_STATE] = wanted
            return statement, {**parameters, **_values(tokens, wanted, dbapi_connection)}
        # In a transaction, or in autocommit: what was set still holds, unless changed.
        holds = dbapi_connection.autocommit or (
            dbapi_connection.pgconn.transaction_status != TransactionStatus.IDLE
        )
        if not holds or conn.info.get(_STATE) != wanted:
            conn.info[_STATE] = wanted
            conn.exec_driver_sql(
                _SYNC,
                _values(tokens, wanted, dbapi_connection),
                execution_options={_SYNCING: True},
            )
        return statement, parameters

    event.listen(engine, "before_cursor_execute", before_cursor_execute, retval=True)
    event.listen(engine, "rollback_savepoint", _forget)
    event.listen(engine, "checkout", _forget_on_checkout)


def _values(tokens: TenantTokens, wanted: Wanted, dbapi_connection: Any) -> dict[str, Any]:
    tenant_id, bypass = wanted
    return {
        "tenantry_token": "" if tenant_id is None else tokens.token(tenant_id),
        "tenantry_all": "on" if bypass else "off",
        # Transaction-local, except in autocommit, where no transaction would keep them.
        "tenantry_local": not dbapi_connection.autocommit,
    }


def _forget_on_checkout(_dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    """Each checkout sets the settings before its first statement, whatever was set last."""
    record.info.pop(_STATE, None)


def _forget(conn: Connection, *_args: Any) -> None:
    """A savepoint rollback restores the settings of its start: set them again next time."""
    conn.info.pop(_STATE, None)
