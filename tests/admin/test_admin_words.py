"""What both admins say and show: worded flashes, honest hints, what was posted after a
refusal, no internal fields, no "null", the tenant's time zone."""

from __future__ import annotations

import re

import pytest

from tenantry.testing import client_for, csrf_token, do_login


@pytest.fixture
def operator(app, make_operator):
    client = client_for(app, "localhost")
    do_login(client, make_operator())
    return client


@pytest.fixture
def manager(app, make_tenant, make_user):
    acme = make_tenant("acme", name="Acme Corp", plugins=["tasks"])
    client = client_for(app, "acme.localhost")
    do_login(client, make_user(acme, "ann@acme.test", role="admin"))
    return client


def test_creating_a_tenant_says_which_tenant_in_words(operator):
    page = "/admin/tenants/new/"
    created = operator.post(
        page,
        data={
            "slug": "acme",
            "name": "Acme",
            "status": "active",
            "timezone": "Europe/Berlin",
            "csrf_token": csrf_token(operator, page),
        },
        follow_redirects=True,
    )
    body = created.get_data(as_text=True)
    assert "Tenant acme created." in body
    assert "Record was successfully" not in body
    assert "Europe/Berlin" in body


def test_the_tenant_forms_have_honest_hints_and_no_internal_fields(operator, make_tenant):
    acme = make_tenant("acme")
    create = operator.get("/admin/tenants/new/").get_data(as_text=True)
    assert "Click to manage plugins" not in create
    assert "Its site will be at &lt;slug&gt;.localhost" in create
    details = operator.get(f"/admin/tenants/details/?id={acme.id}").get_data(as_text=True)
    assert "Revision" not in details
    assert not re.search(r"\d{2}:\d{2}:\d{2}\.\d{6}", details)  # no microseconds


def test_password_hints_differ_on_create_and_edit(operator, make_operator):
    create = operator.get("/admin/operators/new/").get_data(as_text=True)
    assert "leave empty to keep" not in create.lower()
    assert "At least 10 characters." in create
    listing = operator.get("/admin/operators/").get_data(as_text=True)
    edit = re.search(r'href="(/admin/operators/edit/\?id=\d+[^"]*)"', listing).group(1)
    assert "Leave empty to keep the current password." in operator.get(
        edit.replace("&amp;", "&")
    ).get_data(as_text=True)


def test_a_new_operator_without_a_password_is_refused_under_the_field(operator):
    page = "/admin/operators/new/"
    refused = operator.post(
        page,
        data={
            "email": "new@platform.test",
            "active": "y",
            "csrf_token": csrf_token(operator, page),
        },
    )
    body = refused.get_data(as_text=True)
    assert refused.status_code == 200
    assert "This field is required." in body or "needs a password" in body


def test_a_refused_settings_change_shows_what_was_posted(manager):
    page = "/manage/plugins/"
    refused = manager.post(
        page,
        data={
            "plugin": "tasks",
            "show_completed": "on",
            "default_due_days": "9999",
            "csrf_token": csrf_token(manager, page),
        },
    )
    form = re.search(
        r'data-plugin="tasks".*?</section>', refused.get_data(as_text=True), re.S
    ).group(0)
    assert re.search(r'name="show_completed"\s+checked', form)
    assert 'value="9999"' in form
    assert "less than or equal to 365" in form


def test_an_optional_number_left_unset_shows_empty_never_null(manager):
    form = manager.get("/manage/plugins/").get_data(as_text=True)
    field = re.search(r'<input[^>]*name="default_due_days"[^>]*>', form, re.S).group(0)
    assert 'value=""' in field
    assert "null" not in field and "None" not in field


def test_a_tenant_admin_sets_the_sites_time_zone(manager):
    page = "/manage/site/"
    refused = manager.post(
        page, data={"timezone": "Mars/Base", "csrf_token": csrf_token(manager, page)}
    )
    assert "not a known time zone" in refused.get_data(as_text=True)
    saved = manager.post(
        page,
        data={"timezone": "America/Sao_Paulo", "csrf_token": csrf_token(manager, page)},
        follow_redirects=True,
    )
    body = saved.get_data(as_text=True)
    assert "Site settings saved." in body
    assert '<option value="America/Sao_Paulo" selected>' in body


def test_both_admins_show_the_site_view_site_the_person_and_log_out(operator, manager):
    for client, brand in ((operator, "Platform admin"), (manager, "Acme Corp")):
        body = client.get("/admin/" if client is operator else "/manage/").get_data(as_text=True)
        assert brand in body
        assert ">View site</a>" in body
        assert 'data-testid="signed-in-as"' in body
        assert ">Log out</button>" in body
        assert "bootstrap.min.css" not in body and "navbar-dark" not in body
