"""The database: one engine per app, one session per app context, the shared metadata.

Every table, core or plugin, lives on ``Base.metadata`` so foreign keys between
them work and ``tenantry db check`` sees the whole schema. The naming
convention makes constraint names identical on SQLite and PostgreSQL, so
migrations are deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, current_app, g
from sqlalchemy import Engine, MetaData, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine with the pragmas and pool settings Tenantry relies on."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # One row per INSERT: a multi-row VALUES would give every row the same next id
        # (see tenancy.mixins.NextId); SQLite is in-process, so nothing is lost.
        kwargs.setdefault("use_insertmanyvalues", False)
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if "poolclass" not in kwargs:
        kwargs.update(pool_size=10, max_overflow=20)
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


@dataclass
class _State:
    engine: Engine
    sessions: sessionmaker[Session]


class Database:
    """Access to the current app's engine and its per-app-context session.

    The session class is the factory's choice (tenancy's ``TenantSession``): this
    module knows how to hold a session, not what confines it.
    """

    extension = "tenantry.db"

    def init_app(self, app: Flask, url: str, session_class: type[Session]) -> Engine:
        engine = make_engine(url)
        app.extensions[self.extension] = _State(
            engine, sessionmaker(engine, class_=session_class, expire_on_commit=False)
        )
        app.teardown_appcontext(self._close)
        return engine

    def _state(self) -> _State:
        return current_app.extensions[self.extension]

    @property
    def engine(self) -> Engine:
        return self._state().engine

    @property
    def session(self) -> Session:
        """The session of this request or app context; closed when the context ends."""
        session = g.get("_tenantry_session")
        if session is None:
            session = g._tenantry_session = self._state().sessions()
        return session

    @staticmethod
    def _close(_exc: BaseException | None) -> None:
        session = g.pop("_tenantry_session", None)
        if session is not None:
            session.close()


db = Database()
