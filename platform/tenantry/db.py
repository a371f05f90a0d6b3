"""The database: one engine per app, one session per app context, the shared metadata.

Every table, core or plugin, lives on ``Base.metadata`` so foreign keys between
them work and ``tenantry db check`` sees the whole schema. The naming
convention makes constraint names identical on SQLite and PostgreSQL, so
migrations are deterministic.
"""

from __future__ import annotations

import logging
import os
import select
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Flask, current_app, g, has_app_context
from psycopg.pq import ConnStatus
from sqlalchemy import DateTime, Engine, MetaData, TypeDecorator, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session, SessionTransaction, sessionmaker

log = logging.getLogger(__name__)
#: session.info key: [(the transaction it was registered in, callback)], see ``on_commit``.
ON_COMMIT = "tenantry.on_commit"

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UtcDateTime(TypeDecorator[datetime]):
    """A moment in time, stored in UTC and always read back timezone-aware in UTC.

    SQLite has no time zones: a plain ``DateTime(timezone=True)`` hands back naive
    values there and aware ones on PostgreSQL, so the same row serialised as
    ``...Z`` after an insert and without an offset after a read. Every timestamp
    column of the core and of plugins uses this type instead. A naive value
    written is taken to be UTC already.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, _dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, _dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class UnusableDatabase(Exception):
    """The database URL names something that cannot hold a database; says what to change."""


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine with the pragmas and pool settings Tenantry relies on."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            _prepare_sqlite_file(Path(parsed.database))
        # One row per INSERT: a multi-row VALUES would give every row the same next id
        # (see tenancy.mixins.NextId); SQLite is in-process, so nothing is lost.
        kwargs.setdefault("use_insertmanyvalues", False)
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if "poolclass" not in kwargs:
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 20)
    engine = create_engine(url, **kwargs)
    event.listen(engine, "checkout", _refuse_if_closed_by_server)
    return engine


def _refuse_if_closed_by_server(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """Hand out no pooled connection the server has ended, without a round trip to ask.

    A pool's usual liveness check (``pool_pre_ping``) costs every request a round trip.
    An idle connection has nothing to read: when its socket is readable, the server has
    said goodbye (``pg_terminate_backend``, a restart, PgBouncer closing it) or sent a
    notice we do not use. Either way the pool drops it and checks out another (SQLAlchemy
    retries on ``DisconnectionError``). A connection lost without a word (a network
    partition) still fails its request, as it would after a ping that passed.
    """
    pgconn = dbapi_connection.pgconn
    poller = select.poll()
    poller.register(pgconn.socket, select.POLLIN)
    if poller.poll(0) or pgconn.status != ConnStatus.OK:
        raise DisconnectionError("the server closed this pooled connection")


def _prepare_sqlite_file(path: Path) -> None:
    """Create the file's folder; refuse, in words, a path SQLite could not open."""
    hint = "set database_url to a file in a writable folder, e.g. sqlite:///instance/tenantry.db"
    if path.is_dir():
        raise UnusableDatabase(f"the SQLite database {path} is a folder, not a file; {hint}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UnusableDatabase(
            f"cannot create the folder {path.parent} of the SQLite database: "
            f"{error.strerror or error}; {hint}"
        ) from None
    if not os.access(path.parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise UnusableDatabase(f"the SQLite database {path} is not writable; {hint}")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


#: ``Session.info`` key of the platform role's engine (see ``Database.init_app``).
PLATFORM_BIND = "tenantry.platform_bind"


@dataclass
class _State:
    engine: Engine
    platform_engine: Engine
    sessions: sessionmaker[Session]


class Database:
    """Access to the current app's engines and its per-app-context session.

    Two engines, one per database role: ``engine`` connects as the role that
    serves tenants, ``platform_engine`` as the role cross-tenant work uses (the
    same engine when both URLs are the same). The session class is the
    factory's choice (tenancy's ``TenantSession``, which picks the engine per
    transaction): this module knows how to hold a session, not what confines it.
    """

    extension = "tenantry.db"

    def init_app(
        self, app: Flask, engine: Engine, session_class: type[Session], platform: Engine
    ) -> Engine:
        """``engine``: what tenant work connects as; ``platform``: what cross-tenant work
        connects as (the same engine when both URLs are the same)."""
        sessions = sessionmaker(
            engine,
            class_=session_class,
            expire_on_commit=False,
            info={PLATFORM_BIND: platform},
        )
        event.listen(sessions, "after_commit", _run_on_commit)
        event.listen(sessions, "after_soft_rollback", _drop_rolled_back)
        event.listen(sessions, "after_transaction_end", _drop_uncommitted)
        app.extensions[self.extension] = _State(engine, platform, sessions)
        app.teardown_appcontext(self._close)
        return engine

    def _state(self) -> _State:
        return current_app.extensions[self.extension]

    @property
    def engine(self) -> Engine:
        """The tenant role's engine."""
        return self._state().engine

    @property
    def platform_engine(self) -> Engine:
        """The platform role's engine (``engine`` itself on SQLite or with one URL)."""
        return self._state().platform_engine

    @property
    def session(self) -> Session:
        """The session of this request or app context; closed when the context ends."""
        session = g.get("_tenantry_session")
        if session is None:
            session = g._tenantry_session = self._state().sessions()
        return session

    def in_transaction(self) -> bool:
        """Whether this context's session exists and has a transaction open (never makes one)."""
        session = g.get("_tenantry_session") if has_app_context() else None
        return session is not None and session.in_transaction()

    def on_commit(self, callback: Callable[[], Any]) -> None:
        """Call ``callback`` when this context's session next commits (beginning a transaction
        if none is open).

        For what must not happen unless the write does: queueing a job, dropping a
        cache entry another process could refill with the old rows. Rolled back (the
        transaction, or the savepoint it was registered in) or closed without a
        commit, it is never called. A failing callback is logged: the commit stands.
        """
        session = self.session
        if not session.in_transaction():
            session.begin()
        transaction = session.get_nested_transaction() or session.get_transaction()
        session.info.setdefault(ON_COMMIT, []).append((transaction, callback))

    def rollback(self) -> None:
        """Roll back this context's session, if it has one. After a failed statement or
        flush it refuses every query until then, and an error page still makes a few."""
        session = g.get("_tenantry_session")
        if session is not None:
            session.rollback()

    @staticmethod
    def _close(_exc: BaseException | None) -> None:
        session = g.pop("_tenantry_session", None)
        if session is not None:
            session.close()


def _call(callback: Callable[[], Any]) -> None:
    try:
        callback()
    except Exception:  # the data is committed; one failing follow-up must not undo the rest
        log.exception("after-commit callback %r failed", callback)


def _run_on_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint was released: its callbacks wait for the real commit
    for _transaction, callback in session.info.pop(ON_COMMIT, []):
        _call(callback)


def _within(transaction: SessionTransaction | None, ended: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is ended:
            return True
        transaction = transaction.parent
    return False


def _drop_rolled_back(session: Session, previous: SessionTransaction) -> None:
    pending = session.info.get(ON_COMMIT)
    if pending:
        session.info[ON_COMMIT] = [item for item in pending if not _within(item[0], previous)]


def _drop_uncommitted(session: Session, transaction: SessionTransaction) -> None:
    """The outermost transaction ended: anything still pending was never committed."""
    if transaction.parent is None and (dropped := session.info.pop(ON_COMMIT, None)):
        log.info(
            "%d after-commit callback(s) dropped: the transaction was rolled back or closed "
            "without a commit",
            len(dropped),
        )


db = Database()
