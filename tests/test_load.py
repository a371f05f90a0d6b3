"""A short bounded load against a real waitress server, on SQLite and PostgreSQL.

Unit tests call the app in-process, one request at a time; only a real
server with many connections and threads can show a tenant context leaking
from one request to the next (a thread reused, a pooled connection still
carrying the previous tenant's RLS setting). ``python -m bench.load`` runs
the same load for longer, against a production-like server process.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask

from tenantry.testing import JsonCollection, LoadTenant, mark_of, run_load, serve_in_thread

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
def tenants(
    app: Flask, make_tenant: Callable[..., Any], make_user: Callable[..., Any]
) -> list[LoadTenant]:
    """Tenants with notes enabled, each with an admin's API token and a few marked notes."""
    from sqlalchemy import select

    from tenantry import db, tenant_context
    from tenantry.auth.models import ApiToken, User
    from tenantry_notes.models import Note

    made = []
    for i in range(TENANTS):
        tenant = make_tenant(f"loadtest{i}", plugins=["notes"])
        make_user(tenant, role="admin")
        with app.app_context(), tenant_context(tenant):
            user = db.session.scalar(select(User))
            notes = [
                Note(title=f"{mark_of(tenant.slug)} note {n}", author=user)
                for n in range(NOTES_PER_TENANT)
            ]
            token, secret = ApiToken.issue(user, "load")
            db.session.add_all([*notes, token])
            db.session.commit()
            made.append(LoadTenant(tenant.slug, secret, tuple(note.id for note in notes)))
    return made


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
