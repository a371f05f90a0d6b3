"""Every admin page (list, create, edit, details) opens without a server error, for its people."""

import re

import pytest

from tenantry import db, tenant_context
from tenantry.testing import client_for, do_login


def pages(app, prefix):
    """GET routes of one admin without URL arguments, plus edit/details of a listed row."""
    return sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(prefix)
        and "GET" in rule.methods
        and not rule.arguments
        and "/ajax/" not in rule.rule
        and "/export/" not in rule.rule
        and "static" not in rule.rule
    )


@pytest.fixture
def populated(app, make_tenant, make_user):
    from tenantry_notes.models import Note
    from tenantry_tasks.models import Task

    acme = make_tenant("acme", plugins=["tasks"])
    make_user(acme, "ann@acme.test", role="admin")
    with app.app_context(), tenant_context(acme):
        note = Note(title="A note", body="*md*", tags="x")
        db.session.add(note)
        db.session.flush()
        db.session.add(Task(title="A task", note_id=note.id))
        db.session.commit()
    return acme


def open_all(client, paths):
    failures = []
    for path in paths:
        response = client.get(path)
        if response.status_code >= 500:
            failures.append((path, response.status_code))
        for row in re.findall(
            r'href="([^"]*/(?:edit|details)/\?id=\d+[^"]*)"', response.get_data(as_text=True)
        )[:2]:
            row = row.replace("&amp;", "&")
            if client.get(row).status_code >= 500:
                failures.append((row, "row"))
    return failures


def test_every_platform_admin_page_opens(app, populated, make_operator):
    client = client_for(app, "localhost")
    do_login(client, make_operator())
    paths = pages(app, "/admin")
    assert len(paths) > 10
    assert open_all(client, paths) == []


def test_every_tenant_admin_page_opens(app, populated):
    client = client_for(app, "acme.localhost")
    do_login(client, ("ann@acme.test", "correct-horse-battery"))
    paths = pages(app, "/manage")
    assert len(paths) > 5
    assert open_all(client, paths) == []


@pytest.mark.parametrize(
    "path",
    [
        "/admin/tenants/edit/?id=abc",
        "/admin/tenants/edit/?id=999999",
        "/admin/tenants/details/?id=",
        "/admin/tenants/plugins/?id=abc",
        "/admin/tenants/plugins/?id=999999",
        "/admin/users/?flt0_0=abc",
        "/admin/tenants/?page=-3&sort=99&desc=x",
        "/admin/tenants/?search=%27%22",
    ],
)
def test_malformed_admin_urls_never_answer_500(app, populated, make_operator, path):
    client = client_for(app, "localhost")
    do_login(client, make_operator())
    assert client.get(path).status_code < 500


@pytest.mark.parametrize(
    "path",
    [
        "/notes/api/notes?page=abc&per_page=-5",
        "/notes/api/notes?page=99999999999999999999",
        "/notes/abc",
        "/notes/?q=" + "x" * 5000,
        "/tasks/999999/edit",
        "/manage/users/edit/?id=-1",
    ],
)
def test_malformed_tenant_urls_never_answer_500(app, populated, path):
    client = client_for(app, "acme.localhost")
    do_login(client, ("ann@acme.test", "correct-horse-battery"))
    assert client.get(path).status_code < 500
