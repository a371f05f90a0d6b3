"""Round trips per request, counted, so a regression shows up as a failing number."""

import pytest

from tenantry import db, tenant_context
from tenantry.testing import client_for, do_login


@pytest.fixture
def client(app, make_tenant, make_user):
    from tenantry_notes.models import Note

    acme = make_tenant("acme", plugins=["notes"])
    credentials = make_user(acme)
    with app.app_context(), tenant_context(acme):
        db.session.add_all(Note(title=f"n{i}") for i in range(30))
        db.session.commit()
    client = client_for(app, "acme.localhost")
    do_login(client, credentials)
    client.get("/notes/api/notes")  # warm the host and plugin caches
    return client


def test_a_notes_list_page_costs_three_statements_on_postgres_four_on_sqlite(
    backend, client, statements
):
    """Tenant state (+ RLS on PostgreSQL), the user, the page with its authors, and its
    total: carried by the page on PostgreSQL, a separate (cheaper there) count on SQLite."""
    assert client.get("/notes/api/notes").status_code == 200
    assert len(statements) == (3 if backend == "postgres" else 4), statements


def test_a_page_past_the_end_still_knows_the_total(client, statements):
    body = client.get("/notes/api/notes?page=9").json
    assert (body["items"], body["total"], body["pages"]) == ([], 30, 2)


def test_the_root_landing_page_touches_the_database_not_at_all(app, statements):
    assert client_for(app, "localhost").get("/").status_code == 200
    assert statements == []
