"""Reads from streaming replicas; every write, and reads that must see it, on the primary.

A request whose method cannot write (GET, HEAD, OPTIONS) gets a session that
reads from a replica. Anything else it sends (a flush, an ORM UPDATE such as
an API token's ``last_used_at`` touch, raw SQL that might write, a bare
``session.connection()``) goes to the primary, and so does the rest of that
session, so it reads its own writes.

Without replicas, such a request reads from the primary's **reader**: the same
pool with the connection in autocommit, so its reads cost no ``BEGIN`` and no
``ROLLBACK`` round trips (each statement is its own snapshot, as it would be in a
READ COMMITTED transaction). A write still goes out in a transaction of its own,
on another connection, as with a replica.

Read-your-writes across requests: after a commit that wrote, the primary's
WAL position (LSN) goes into a cookie of its own (``tenantry_seen``: not a secret,
and not the session cookie, which token-authenticated API calls never get; a
forged value can only send that client's reads to the primary). The first
round trip of a transaction on a replica (the one that sets row-level
security, see ``tenancy.scoping``) also answers whether the replica has
replayed that LSN and is within ``replica_max_lag_s``; when it has not, the
session reads from the primary instead. That costs the extra round trip only
when the replica is behind; a replica that cannot be reached is skipped for
``RETRY_AFTER_S``.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Sequence
from typing import Any, ClassVar

from flask import Response, g, has_request_context, request
from sqlalchemy import CompoundSelect, Engine, Select, event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, SessionTransaction

log = logging.getLogger(__name__)

#: Methods that cannot write (RFC 9110 safe methods): their requests read from a replica.
READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: Seconds a replica that failed to connect is left alone before it is tried again.
RETRY_AFTER_S = 5.0
#: The cookie holding the primary's LSN after the client's last write.
COOKIE = "tenantry_seen"
#: On ``g``: the LSN to hand the client with this response.
_PENDING = "_tenantry_seen_lsn"
#: On a replica connection's info: the most lag (seconds) tolerated on it.
REPLICA_KEY = "tenantry.replica_max_lag"
#: On a session's info: the LSN its reads must see; whether the replica has it; whether it wrote.
MIN_LSN_KEY = "tenantry.min_lsn"
FRESH_KEY = "tenantry.replica_fresh"
WROTE_KEY = "tenantry.wrote"

#: Seconds the standby's replay is behind (0 when it has replayed all it received).
LAG_SQL = (
    "COALESCE(CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0"
    " ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) END, 0)"
)
#: A column of the first round trip on a replica: may this session read here?
FRESHNESS_SQL = (
    ", (pg_is_in_recovery()"
    " AND (%(min_lsn)s::pg_lsn IS NULL OR pg_last_wal_replay_lsn() >= %(min_lsn)s::pg_lsn)"
    f" AND {LAG_SQL} <= %(max_lag)s) AS fresh"
)
_SELECTS = (Select, CompoundSelect)


def mark_replica(engine: Engine, max_lag_s: float) -> None:
    """Tag every connection of ``engine`` as a replica's, with its tolerated lag."""

    @event.listens_for(engine, "connect")
    def _mark(_dbapi_connection: Any, record: Any) -> None:
        record.info[REPLICA_KEY] = max_lag_s


def freshness(session: Session, connection: Any) -> tuple[str, dict[str, Any]]:
    """The freshness column (and its parameters) for a transaction's first round trip on
    ``connection``; nothing on the primary."""
    max_lag = connection.info.get(REPLICA_KEY)
    if max_lag is None:
        return "", {}
    return FRESHNESS_SQL, {"min_lsn": session.info.get(MIN_LSN_KEY), "max_lag": max_lag}


def note_freshness(session: Session, connection: Any, row: Any) -> None:
    """Record the first round trip's verdict (no row: the replica lacks the tenant row)."""
    if REPLICA_KEY in connection.info:
        session.info[FRESH_KEY] = bool(row is not None and row.fresh)


class ReplicaSet:
    """The replicas of one primary: which to read from next, which are down, how far behind."""

    def __init__(
        self,
        primary: Engine,
        replicas: Sequence[Engine],
        max_lag_s: float,
        reader: Engine | None = None,
    ):
        self.primary = primary
        self.replicas = tuple(replicas)
        self.max_lag_s = max_lag_s
        #: Where read-only requests read when no replica may serve them (None: the primary).
        self.reader = reader
        self._turn = itertools.count()
        self._down_until: dict[Engine, float] = {}
        self._lock = threading.Lock()

    def choose(self) -> Engine | None:
        """The next replica in turn that is not resting after a failure; else the reader."""
        if not self.replicas:
            return self.reader
        now = time.monotonic()
        usable = [e for e in self.replicas if self._down_until.get(e, 0.0) <= now]
        return usable[next(self._turn) % len(usable)] if usable else self.reader

    def failed(self, engine: Engine, error: BaseException) -> None:
        with self._lock:
            self._down_until[engine] = time.monotonic() + RETRY_AFTER_S
        log.warning(
            "replica %s unreachable, reading from the primary for %.0f s: %s",
            engine.url.render_as_string(hide_password=True),
            RETRY_AFTER_S,
            error,
        )

    def primary_lsn(self) -> str:
        """The primary's WAL insert position: past every commit made so far (also under
        ``synchronous_commit = off``, where the write position may lag a commit)."""
        with self.primary.connect() as connection:
            return connection.exec_driver_sql(
                "SELECT pg_current_wal_insert_lsn()::text"
            ).scalar_one()

    def status(self) -> list[dict[str, Any]]:
        """For /readyz: each replica's recovery state and lag, and whether reads go there."""
        found = []
        for n, engine in enumerate(self.replicas, 1):
            entry: dict[str, Any] = {"replica": n}
            try:
                with engine.connect() as connection:
                    recovery, lag = connection.exec_driver_sql(
                        f"SELECT pg_is_in_recovery(), {LAG_SQL}::float"
                    ).one()
            except DBAPIError as error:
                entry.update(status="unreachable", error=type(error.orig).__name__)
            else:
                usable = recovery and lag <= self.max_lag_s
                entry.update(
                    status="ok" if usable else ("lagging" if recovery else "not in recovery"),
                    in_recovery=recovery,
                    lag_s=round(lag, 3),
                )
            found.append(entry)
        return found


class RoutingSession(Session):
    """Reads of read-only requests on a replica; everything else on the primary (``bind``).

    Mixed in front of the app's session class by ``routed``; that class decides, with its
    ``reads_may_use_replica()``, which reads a replica may serve at all.
    """

    replica_set: ClassVar[ReplicaSet]

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._replica: Engine | None = None
        self._verified = False
        if has_request_context() and request.method in READ_ONLY_METHODS:
            self._replica = self.replica_set.choose()
            self.info[MIN_LSN_KEY] = request.cookies.get(COOKIE)

    def get_bind(self, mapper: Any = None, *, clause: Any = None, bind: Any = None, **kw: Any):
        if bind is None and (self._flushing or not isinstance(clause, (*_SELECTS, type(None)))):
            # A write, or SQL that might be one: the primary, for the rest of this session.
            self.info[WROTE_KEY] = True
            self._replica = None
        elif bind is None and self._replica is not None and self.reads_may_use_replica():
            if not self._verified:
                self._verify(self._replica)
            if self._replica is not None:
                return self._replica
        return super().get_bind(mapper, clause=clause, bind=bind, **kw)

    def connection(self, bind_arguments: dict[str, Any] | None = None, **kw: Any) -> Any:
        """A bare connection may be used to write: the primary's, unless the caller says
        what it reads (``bind_arguments={"clause": a_select}``)."""
        if not bind_arguments:
            self.info[WROTE_KEY] = True
            self._replica = None
        return super().connection(bind_arguments, **kw)

    def _verify(self, replica: Engine) -> None:
        """Begin on the replica; its first round trip says whether it may serve this session."""
        self._verified = True
        if replica is self.replica_set.reader:
            return  # the primary itself: always current
        try:
            self.connection(bind_arguments={"bind": replica})
        except DBAPIError as error:
            self.replica_set.failed(replica, error.orig or error)
            self._replica = None
            return
        if not self.info.pop(FRESH_KEY, False):
            self._replica = None  # behind the client's last write, or lagging: the primary


def routed(session_class: type[Session], replica_set: ReplicaSet) -> type[Session]:
    """``session_class`` with replica routing in front of it."""
    return type(
        f"Routed{session_class.__name__}",
        (RoutingSession, session_class),
        {"replica_set": replica_set},
    )


@event.listens_for(RoutingSession, "after_transaction_end")
def _next_transaction_verifies_again(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None and isinstance(session, RoutingSession):
        session._verified = False


@event.listens_for(RoutingSession, "after_commit")
def _remember_commit_lsn(session: Session) -> None:
    """After a commit that wrote: the LSN the client's next reads must see."""
    if not session.info.pop(WROTE_KEY, False) or not isinstance(session, RoutingSession):
        return
    if not session.replica_set.replicas:
        return  # only the primary's reader: nothing can be behind
    lsn = session.replica_set.primary_lsn()
    session.info[MIN_LSN_KEY] = lsn
    if has_request_context():
        setattr(g, _PENDING, lsn)


def hand_lsn_to_client(replica_set: ReplicaSet, secure: bool) -> Any:
    """The after_request hook that gives a client that wrote the LSN its next reads need.

    Kept while a replica may still be behind: twice the lag a replica may have, and at
    least a minute."""
    max_age = max(60, int(2 * replica_set.max_lag_s))

    def remember(response: Response) -> Response:
        lsn = g.get(_PENDING)
        if lsn is not None:
            response.set_cookie(
                COOKIE, lsn, max_age=max_age, httponly=True, samesite="Lax", secure=secure
            )
        return response

    return remember


@event.listens_for(RoutingSession, "after_rollback")
def _forget_writes(session: Session) -> None:
    session.info.pop(WROTE_KEY, None)
