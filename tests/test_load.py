"""A short run of bench.load against a real waitress server, on SQLite and PostgreSQL.

Unit tests call the app in-process, one request at a time; only a real
server with many connections and threads can show a tenant context leaking
from one request to the next (a thread reused, a pooled connection still
carrying the previous tenant's RLS setting). ``python -m bench.load`` is the
long version.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from bench.common import seed_tenants
from bench.load import misfiled_notes, run_load
from tenantry.testing import serve_in_thread

TENANTS = 6
CONNECTIONS = 12
SECONDS = 5.0


@pytest.fixture
def server_port(app: Flask) -> Iterator[int]:
    """The app under waitress on an ephemeral loopback port, in a thread."""
    with serve_in_thread(app, threads=4) as server:
        yield server.effective_port


def test_mixed_load_keeps_every_tenant_to_itself(app: Flask, server_port: int) -> None:
    owner_url = app.extensions["tenantry.settings"].effective_migrations_url
    tenants = seed_tenants(owner_url, TENANTS, notes=5, prefix="loadtest")

    report = run_load(server_port, tenants, CONNECTIONS, SECONDS)

    assert report.requests > 50, report.summary()
    assert report.errors == 0, report.samples
    assert report.bleed == 0, report.samples
    assert not misfiled_notes(owner_url)
    assert {"list", "get", "create", "update", "foreign"} <= set(report.by_operation)
