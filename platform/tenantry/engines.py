"""The application's engines, built the way the deployment needs them.

Pool sizes, PgBouncer's transaction mode and the statement timeout are decided
here, once, from the settings; the replicas get the same options plus a short
connect timeout, so a dead standby costs a request seconds at most once per
``replicas.RETRY_AFTER_S`` before reads fall back to the primary.

Behind PgBouncer in transaction mode a server connection serves a different
client after every transaction, so nothing may outlive one: psycopg must not
prepare statements on the server (``prepare_threshold=None``: another client's
transaction would find the name taken, or missing), and settings are made
transaction-local in the first round trip (``PRELUDE_KEY``) instead of per
connection.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url

from tenantry.db import make_engine
from tenantry.replicas import mark_replica

if TYPE_CHECKING:
    from tenantry.settings import Settings

#: On a connection's info: SQL (``, set_config(...)``) that the first statement of each
#: transaction also runs, for settings that must be transaction-local (PgBouncer mode).
PRELUDE_KEY = "tenantry.prelude"
#: Seconds a replica may take to accept a connection before reads go to the primary.
REPLICA_CONNECT_TIMEOUT_S = 2


@dataclass(frozen=True)
class Engines:
    #: What tenants' requests connect as (the role row-level security confines).
    primary: Engine
    #: What cross-tenant work connects as (``all_tenants()``): the platform role.
    platform: Engine
    replicas: tuple[Engine, ...] = ()
    #: The primary's pool in autocommit, for read-only requests (``replicas``); None on
    #: SQLite, behind PgBouncer, or when ``database_autocommit_reads`` is off.
    reader: Engine | None = None


def make_engines(settings: Settings) -> Engines:
    """The primary engine, the platform role's (the same one when both URLs are), and one
    per replica, with the settings' pool and pooler options."""
    primary = make_engine(settings.database_url, **engine_options(settings))
    _prelude(primary, settings)
    platform = primary
    if settings.effective_platform_url != settings.database_url:
        platform = make_engine(settings.effective_platform_url, **engine_options(settings))
        _prelude(platform, settings)
    replicas = []
    for url in settings.database_replica_urls:
        options = engine_options(settings)
        options["connect_args"]["connect_timeout"] = REPLICA_CONNECT_TIMEOUT_S
        replica = make_engine(url, **options)
        _prelude(replica, settings)
        mark_replica(replica, settings.replica_max_lag_s)
        replicas.append(replica)
    return Engines(primary, platform, tuple(replicas), _reader(primary, settings))


def _reader(primary: Engine, settings: Settings) -> Engine | None:
    """Autocommit reads keep the row-level security settings for the database session
    between statements; through PgBouncer's transaction mode the next statement may run
    on another server connection, where they are not (or are another client's)."""
    if primary.dialect.name != "postgresql" or settings.database_pgbouncer:
        return None
    if not settings.database_autocommit_reads:
        return None
    return primary.execution_options(isolation_level="AUTOCOMMIT")


def engine_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for ``create_engine`` on PostgreSQL (none for SQLite)."""
    if make_url(settings.database_url).get_backend_name() != "postgresql":
        return {}
    connect_args: dict[str, Any] = {}
    if settings.database_pgbouncer:
        connect_args["prepare_threshold"] = None  # no server-side prepared statements
    elif timeout := _timeout_ms(settings):
        # Directly connected, the session keeps it: every statement is bounded, at no cost.
        connect_args["options"] = f"-c statement_timeout={timeout}"
    return {
        "pool_size": settings.database_pool_size,
        "max_overflow": settings.database_max_overflow,
        "pool_timeout": settings.database_pool_timeout_s,
        "connect_args": connect_args,
    }


def _timeout_ms(settings: Settings) -> int:
    return round(settings.database_statement_timeout_s * 1000)


def _prelude(engine: Engine, settings: Settings) -> None:
    """Through PgBouncer, the statement timeout is set again in each transaction's first
    round trip (PgBouncer refuses libpq's ``options``, and a session setting would leak)."""
    timeout = _timeout_ms(settings)
    if not (settings.database_pgbouncer and timeout):
        return
    sql = f", set_config('statement_timeout', '{timeout}', true)"  # an int: nothing to escape

    @event.listens_for(engine, "connect")
    def _mark(_dbapi_connection: Any, record: Any) -> None:
        record.info[PRELUDE_KEY] = sql
