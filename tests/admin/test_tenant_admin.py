"""Each tenant's own admin: its admins only, and only its rows, with no filters written by hand."""

import re

import pytest
from sqlalchemy import select

from tenantry import all_tenants, db
from tenantry.auth.models import User
from tenantry.testing import client_for, csrf_token, do_login


@pytest.fixture
def tenants(make_tenant, make_user):
    acme, bravo = make_tenant("acme", plugins=["notes"]), make_tenant("bravo", plugins=["notes"])
    make_user(bravo, "bob@bravo.test", role="admin")
    make_user(bravo, "bea@bravo.test")
    return acme, bravo, make_user(acme, "ann@acme.test", role="admin")


@pytest.fixture
def admin(app, tenants):
    client = client_for(app, "acme.localhost")
    do_login(client, tenants[2])
    return client


def test_members_get_403(app, tenants, make_user):
    client = client_for(app, "acme.localhost")
    do_login(client, make_user(tenants[0], "max@acme.test"))
    assert client.get("/manage/").status_code == 403
    assert client.get("/manage/users/").status_code == 403


def test_operators_have_no_way_in_through_a_tenant_host(app, tenants, make_operator):
    client = client_for(app, "acme.localhost")
    do_login(client, make_operator())
    assert client.get("/manage/").status_code == 302  # not logged in here at all


def test_users_list_and_count_show_only_this_tenant(admin):
    body = admin.get("/manage/users/").get_data(as_text=True)
    assert "ann@acme.test" in body
    assert "bravo.test" not in body
    assert re.search(r"List\s*\(1\)", body)


def test_another_tenants_user_cannot_be_opened_by_id(app, admin):
    with app.app_context(), all_tenants():
        bob = db.session.scalar(select(User).where(User.email == "bob@bravo.test"))
    response = admin.get(f"/manage/users/edit/?id={bob.id}", follow_redirects=True)
    assert "bob@bravo.test" not in response.get_data(as_text=True)


def test_a_tenant_admin_creates_a_user_in_their_tenant(app, tenants, admin):
    token = csrf_token(admin, "/manage/users/new/")
    response = admin.post(
        "/manage/users/new/",
        data={
            "email": "new@acme.test",
            "name": "New",
            "role": "member",
            "active": "y",
            "password": "long-enough-password",
            "csrf_token": token,
        },
    )
    assert response.status_code == 302
    with app.app_context(), all_tenants():
        user = db.session.scalar(select(User).where(User.email == "new@acme.test"))
        assert user.tenant_id == tenants[0].id
    assert (
        do_login(
            client_for(app, "acme.localhost"), ("new@acme.test", "long-enough-password")
        ).status_code
        == 302
    )


def test_an_email_already_used_in_another_tenant_is_fine_here(app, admin):
    token = csrf_token(admin, "/manage/users/new/")
    response = admin.post(
        "/manage/users/new/",
        data={
            "email": "bob@bravo.test",
            "role": "member",
            "active": "y",
            "password": "long-enough-password",
            "csrf_token": token,
        },
    )
    assert response.status_code == 302


def test_admin_forms_need_csrf(admin):
    response = admin.post(
        "/manage/users/new/",
        data={"email": "x@acme.test", "role": "member", "password": "long-enough-password"},
    )
    assert response.status_code == 400


def test_plugin_settings_are_edited_with_field_errors(admin):
    page = "/manage/plugins/"
    bad = admin.post(
        page,
        data={
            "plugin": "notes",
            "do": "settings",
            "max_note_length": "1",
            "per_page": "20",
            "csrf_token": csrf_token(admin, page),
        },
    )
    assert "greater than or equal to 100" in bad.get_data(as_text=True)
    good = admin.post(
        page,
        data={
            "plugin": "notes",
            "do": "settings",
            "max_note_length": "500",
            "per_page": "10",
            "csrf_token": csrf_token(admin, page),
        },
        follow_redirects=True,
    )
    assert 'value="500"' in good.get_data(as_text=True)


def test_views_of_plugins_the_tenant_has_not_enabled_are_closed(admin):
    assert admin.get("/manage/notes_note/").status_code == 200
    assert admin.get("/manage/tasks_task/").status_code == 403


def test_a_note_written_in_the_admin_gets_its_author_and_clean_tags(app, tenants, admin):
    from tenantry import tenant_context
    from tenantry_notes.models import Note

    token = csrf_token(admin, "/manage/notes_note/new/")
    response = admin.post(
        "/manage/notes_note/new/",
        data={"title": "From the admin", "body": "", "tags": " B, a ,b", "csrf_token": token},
    )
    assert response.status_code == 302
    with app.app_context(), tenant_context(tenants[0]):
        note = db.session.scalar(select(Note))
        assert (note.tags, note.author.email) == ("a,b", "ann@acme.test")


def test_settings_of_a_plugin_not_enabled_here_cannot_be_written(app, tenants, admin):
    from tenantry.plugins.models import TenantPlugin

    page = "/manage/plugins/"
    response = admin.post(
        page,
        data={
            "plugin": "tasks",
            "do": "settings",
            "show_completed": "y",
            "csrf_token": csrf_token(admin, page),
        },
        follow_redirects=True,
    )
    assert "is not enabled for" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(TenantPlugin).where(TenantPlugin.plugin == "tasks")) is None
