"""Pooled connections come back clean: nothing one request sets reaches the next one.

Through real waitress with one worker thread, so consecutive requests reuse one
pooled connection (each answer names its backend to prove it). The app is built
for this module, on the run's scratch database, with two routes a careless
plugin could have: one sets the row-level security variables for the whole
database session (``set_config(..., false)``), one reads notes with raw SQL.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator

import pytest
from flask import Flask, jsonify
from sqlalchemy import text

from tenantry import db
from tenantry.testing import build_app, dispose, serve_in_thread, settings_for_test

pytestmark = pytest.mark.parametrize("backend", ["postgres"], indirect=True)

POLLUTE = (
    "SELECT set_config('tenantry.tenant_id', current_setting('tenantry.tenant_id'), false),"
    " set_config('tenantry.all_tenants', 'on', false)"
)
RAW = "SELECT title FROM notes_note ORDER BY title"


@pytest.fixture
def server(app, _scratch_postgres, tmp_path) -> Iterator[int]:
    careless = build_app(settings_for_test(tmp_path, "postgres", _scratch_postgres))
    add_careless_routes(careless)
    with serve_in_thread(careless, threads=1) as running:
        yield running.effective_port
    dispose(careless)


def add_careless_routes(app: Flask) -> None:
    @app.get("/_pollute")
    def pollute():
        db.session.connection().exec_driver_sql(POLLUTE)
        db.session.commit()
        return jsonify(pid=backend_pid())

    @app.get("/_raw")
    def raw():
        through_session = db.session.connection().exec_driver_sql(RAW).scalars().all()
        with db.engine.connect() as bare:
            through_engine = bare.execute(text(RAW)).scalars().all()
            pids = [backend_pid(), bare.exec_driver_sql(PID).scalar()]
        return jsonify(pids=pids, session=through_session, engine=through_engine)


PID = "SELECT pg_backend_pid()"


def backend_pid() -> int:
    return db.session.connection().exec_driver_sql(PID).scalar()


def get(port: int, host: str, path: str) -> dict:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path, headers={"Host": host})
        response = connection.getresponse()
        assert response.status == 200, response.read()[:300]
        return json.loads(response.read())
    finally:
        connection.close()


def test_a_session_level_setting_does_not_reach_the_next_request(server, acme, bravo):
    polluted = get(server, "acme.localhost", "/_pollute")["pid"]
    used = []
    for _ in range(4):  # the pool hands its few connections out in turn
        seen = get(server, "bravo.localhost", "/_raw")
        assert seen["session"] == ["bravo-note-0", "bravo-note-1", "bravo-note-2"]
        assert seen["engine"] == seen["session"]
        used += seen["pids"]
    assert polluted in used  # the very connection acme's request left behind was read through


def test_a_session_level_setting_does_not_reach_a_request_without_a_tenant(server, acme):
    polluted = get(server, "acme.localhost", "/_pollute")["pid"]
    used = []
    for _ in range(4):  # the root host: no tenant, so no tenant's rows, raw or not
        seen = get(server, "localhost", "/_raw")
        assert seen["session"] == seen["engine"] == []
        used += seen["pids"]
    assert polluted in used


def test_all_tenants_left_on_by_platform_code_does_not_reach_the_next_request(server, acme):
    polluted = get(server, "localhost", "/_pollute")["pid"]  # the platform role's connection
    used = []
    for _ in range(4):
        seen = get(server, "localhost", "/_raw")
        assert seen["session"] == seen["engine"] == []
        used += seen["pids"]
    assert polluted in used
