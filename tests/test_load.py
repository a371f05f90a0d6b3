"""A short bounded load against a real waitress server, on SQLite and PostgreSQL.

Unit tests call the app in-process, one request at a time; only a real
server with many connections and threads can show a tenant context leaking
from one request to the next (a thread reused, a pooled connection still
carrying the previous tenant's RLS setting). ``python -m bench.load`` runs
the same load for longer, against a production-like server process.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask

from tenantry.testing import JsonCollection, LoadTenant, run_load, serve_in_thread

TENANTS = 6
NOTES_PER_TENANT = 5
CONNECTIONS = 12
SECONDS = 5.0
NOTES = JsonCollection("/notes/api/notes", table="notes_note", fields={"body": "under load"})


@pytest.fixture
def server_port(app: Flask) -> Iterator[int]:
    """The app under waitress on an ephemeral loopback port, in a thread."""
    with serve_in_thread(app, threads=4) as server:
        yield server.effective_port


@pytest.fixture
def tenants(app: Flask, load_tenants: Callable[..., list[LoadTenant]]) -> list[LoadTenant]:
    """Tenants with notes enabled, each with an admin's API token and a few marked notes."""
    return load_tenants(app, TENANTS, NOTES_PER_TENANT)


def test_mixed_load_keeps_every_tenant_to_itself(
    app: Flask, server_port: int, tenants: list[LoadTenant]
) -> None:
    owner_url = app.extensions["tenantry.settings"].effective_migrations_url

    report = run_load(server_port, owner_url, NOTES, tenants, CONNECTIONS, SECONDS)

    assert report.requests > 50, report.summary()
    assert report.errors == 0, report.samples
    assert report.bleed == 0, report.samples
    assert report.misfiled_rows == 0, report.samples
    assert {"list", "get", "create", "update", "foreign"} <= set(report.by_operation)
