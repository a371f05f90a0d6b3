"""Round trips on the wire, counted at the protocol level, so a regression fails a number.

libpq's own trace of every connection of an app built for this module records each
message the client sends (``F``) and each the server answers (``B``); a round trip is
a run of sent messages that the client then waits on. The pool's checks, ``BEGIN``
and ``ROLLBACK`` all count, unlike the ORM-level statement count in
``test_request_cost``. The public page is what a plugin's page without login costs:
one scoped query; the token page is the notes JSON API under a bearer token.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, jsonify
from psycopg import pq
from sqlalchemy import event, select, text

from tenantry import db, tenant_context
from tenantry.engines import make_engines
from tenantry.testing import (
    build_app,
    client_for,
    csrf_token,
    dispose,
    do_login,
    settings_for_test,
)

POSTGRES = pytest.mark.parametrize("backend", ["postgres"], indirect=True)

TRACE_FLAGS = pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE


class Wire:
    """Every connection of an engine traced into its own file, from the moment it opens."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.files: list[Path] = []
        self.backends: list[int] = []
        self.open: list[tuple[Any, Any]] = []

    def attach(self, engine: Any) -> None:
        @event.listens_for(engine, "connect")
        def trace(dbapi_connection: Any, _record: Any) -> None:
            self.backends.append(dbapi_connection.info.backend_pid)
            path = self.directory / f"conn-{len(self.files)}.trace"
            self.files.append(path)
            sink = path.open("w")  # kept open as long as the connection: libpq writes to it
            self.open.append((dbapi_connection, sink))
            start(dbapi_connection, sink)

    def flush(self) -> None:
        """libpq buffers its trace; stopping it writes the buffer out."""
        for connection, sink in self.open:
            if not connection.closed:
                connection.pgconn.untrace()
                start(connection, sink)

    def mark(self) -> dict[Path, int]:
        self.flush()
        return {path: path.stat().st_size for path in self.files}

    def round_trips_since(self, mark: dict[Path, int]) -> int:
        self.flush()
        return sum(round_trips(self._tail(path, mark.get(path, 0))) for path in self.files)

    @staticmethod
    def _tail(path: Path, offset: int) -> list[str]:
        with path.open() as trace:
            trace.seek(offset)
            return trace.read().splitlines()


def start(connection: Any, sink: Any) -> None:
    connection.pgconn.trace(sink.fileno())
    connection.pgconn.set_trace_flags(TRACE_FLAGS)


def round_trips(lines: list[str]) -> int:
    """Runs of client messages answered by the server (a final Terminate is not one)."""
    count, sending = 0, False
    for line in lines:
        direction = line.split("\t", 1)[0]
        if direction == "F":
            sending = True
        elif direction == "B" and sending:
            count, sending = count + 1, False
    return count


def test_the_counter_counts_an_exchange_once_however_many_messages_it_has():
    trace = ["F\tParse", "F\tBind", "F\tSync", "B\tParseComplete", "B\tReadyForQuery"]
    assert round_trips(trace * 3 + ["F\tTerminate"]) == 3


@pytest.fixture
def traced(app, _scratch_postgres, tmp_path) -> Iterator[tuple[Flask, Wire]]:
    """An app of its own (fresh pools, every connection traced) with a public page."""
    wire = Wire(tmp_path)
    ours = build_app(settings_for_test(tmp_path, "postgres", _scratch_postgres))
    with ours.app_context():
        wire.attach(db.engine)
        wire.attach(db.platform_engine)
    add_public_page(ours)
    yield ours, wire
    dispose(ours)


def add_public_page(app: Flask) -> None:
    from tenantry_notes.models import Note

    @app.get("/_public")
    def public_page():
        notes = db.session.scalars(select(Note).order_by(Note.id.desc()).limit(20))
        return jsonify([note.title for note in notes])

    @app.get("/_write_twice_then_fail")
    def write_twice_then_fail():
        """A careless GET that writes: its writes still form one transaction."""
        db.session.add(Note(title="first of two"))
        db.session.flush()
        db.session.add(Note(title="second of two"))
        db.session.flush()
        raise RuntimeError("after two writes")


@pytest.fixture
def acme(traced, make_tenant, make_user):
    from tenantry_notes.models import Note

    app, _ = traced
    tenant = make_tenant("acme", plugins=["notes"])
    with app.app_context(), tenant_context(tenant):
        db.session.add_all(Note(title=f"note {i}") for i in range(30))
        db.session.commit()
    return tenant, make_user(tenant, "ann@acme.test")


def measure(wire: Wire, request: Any) -> int:
    """Round trips of one warm request (run twice: the first warms caches and the pool)."""
    request()
    mark = wire.mark()
    request()
    return wire.round_trips_since(mark)


@POSTGRES
def test_a_public_page_takes_two_round_trips(traced, acme):
    """The tenant's state (with the row-level security settings), then the page: read in
    autocommit, so no BEGIN and no ROLLBACK; no liveness ping."""
    app, wire = traced
    client = client_for(app, "acme.localhost")

    def public() -> None:
        response = client.get("/_public")
        assert response.status_code == 200 and len(response.json) == 20

    assert measure(wire, public) <= 2


@POSTGRES
def test_the_token_notes_page_takes_three_round_trips(traced, acme):
    """The state, the token with its user, the page with its count."""
    app, wire = traced
    _tenant, credentials = acme
    browser = client_for(app, "acme.localhost")
    do_login(browser, credentials)
    secret = issue_token(browser)
    program = client_for(app, "acme.localhost")

    def notes_api() -> None:
        response = program.get("/notes/api/notes", headers={"Authorization": f"Bearer {secret}"})
        assert response.status_code == 200 and response.json["total"] == 30

    assert measure(wire, notes_api) <= 3


def issue_token(client: Any) -> str:
    token = csrf_token(client, "/account/tokens")
    page = client.post("/account/tokens", data={"name": "wire", "csrf_token": token})
    found = re.search(r'data-testid="new-token">(tnt_[^<]+)<', page.get_data(as_text=True))
    assert found, page.get_data(as_text=True)[:500]
    return found.group(1)


@POSTGRES
def test_a_pooled_connection_killed_between_requests_costs_the_next_request_nothing(
    traced, acme, _scratch_postgres
):
    """No liveness ping per request: a connection the server ended is noticed (and
    replaced) when the pool hands it out, without a round trip."""
    app, wire = traced
    client = client_for(app, "acme.localhost")
    assert client.get("/_public").status_code == 200
    killed = list(wire.backends)
    terminate(_scratch_postgres.admin, killed)
    for _ in range(3):
        response = client.get("/_public")
        assert response.status_code == 200 and len(response.json) == 20
    assert len(wire.backends) > len(killed)  # replaced by new connections


def terminate(admin: Any, pids: list[int]) -> None:
    """End the backends as an operator would (``pg_terminate_backend``), and wait until
    they are gone."""
    with admin.connect() as connection:
        for pid in pids:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            alive = connection.execute(
                text("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(:pids)"),
                {"pids": pids},
            ).scalar()
            if not alive:
                return
            time.sleep(0.02)


@POSTGRES
def test_a_get_that_writes_still_writes_in_one_transaction(traced, acme):
    """Reads in autocommit, writes not: a failure after two writes keeps neither."""
    from tenantry_notes.models import Note

    app, _ = traced
    assert client_for(app, "acme.localhost").get("/_write_twice_then_fail").status_code == 500
    tenant, _ = acme
    with app.app_context(), tenant_context(tenant):
        titles = db.session.scalars(select(Note.title)).all()
    assert len(titles) == 30 and "first of two" not in titles


def test_behind_pgbouncer_reads_stay_in_transactions(tmp_path):
    """Transaction pooling may run each autocommit statement on another server connection,
    where the session-level settings are not (or are another client's)."""
    url = "postgresql+psycopg://tenantry_app@127.0.0.1:6432/tenantry"
    common = {"database_url": url, "platform_database_url": url}
    direct = make_engines(settings_for_test(tmp_path, "sqlite", **common))
    pooled = make_engines(settings_for_test(tmp_path, "sqlite", database_pgbouncer=True, **common))
    off = make_engines(
        settings_for_test(tmp_path, "sqlite", database_autocommit_reads=False, **common)
    )
    assert direct.reader is not None and pooled.reader is None and off.reader is None
    assert direct.reader.get_execution_options()["isolation_level"] == "AUTOCOMMIT"
