"""The operators' admin on the root host: who gets in, and what it does across tenants."""

import re

import pytest
from sqlalchemy import select

from tenantry import all_tenants, db
from tenantry.plugins.models import TenantPlugin
from tenantry.tenancy.models import Tenant
from tenantry.testing import client_for, csrf_token, do_login


@pytest.fixture
def operator(app, make_operator):
    client = client_for(app, "localhost")
    do_login(client, make_operator())
    return client


def test_anonymous_people_are_sent_to_the_login_page(app):
    response = client_for(app, "localhost").get("/admin/tenants/")
    assert response.status_code == 302 and response.location.startswith("/login")


def test_tenant_users_never_see_the_platform_admin(app, make_tenant, make_user):
    acme = make_tenant("acme")
    client = client_for(app, "acme.localhost")
    do_login(client, make_user(acme, role="admin"))
    for path in ("/admin/", "/admin/tenants/", "/admin/users/"):
        response = client.get(path)
        assert response.status_code == 403, path
        assert "Tenants" not in response.get_data(as_text=True)


def test_the_dashboard_counts_tenants_by_status(operator, make_tenant):
    make_tenant("acme")
    make_tenant("bravo")
    body = operator.get("/admin/").get_data(as_text=True)
    assert 'data-testid="tenants-active">2<' in body


def test_an_operator_creates_a_tenant_with_a_validated_slug(app, operator):
    token = csrf_token(operator, "/admin/tenants/new/")
    bad = operator.post(
        "/admin/tenants/new/",
        data={"slug": "Bad Slug", "name": "Bad", "status": "active", "csrf_token": token},
    )
    assert "not a DNS label" in bad.get_data(as_text=True)
    good = operator.post(
        "/admin/tenants/new/",
        data={"slug": "globex", "name": "Globex", "status": "active", "csrf_token": token},
    )
    assert good.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Tenant.name).where(Tenant.slug == "globex")) == "Globex"
        assert db.session.scalar(select(Tenant).where(Tenant.slug == "Bad Slug")) is None


def test_enabling_a_plugin_enables_what_it_requires(app, operator, make_tenant):
    acme = make_tenant("acme")
    page = f"/admin/tenants/plugins/?id={acme.id}"
    operator.post(
        page, data={"plugin": "tasks", "do": "enable", "csrf_token": csrf_token(operator, page)}
    )
    with app.app_context():
        enabled = set(
            db.session.scalars(
                select(TenantPlugin.plugin).where(
                    TenantPlugin.tenant_id == acme.id, TenantPlugin.enabled.is_(True)
                )
            )
        )
    assert enabled == {"notes", "tasks"}


def test_disabling_a_plugin_others_need_is_refused_with_the_reason(operator, make_tenant):
    acme = make_tenant("acme", plugins=["tasks"])
    page = f"/admin/tenants/plugins/?id={acme.id}"
    response = operator.post(
        page,
        data={"plugin": "notes", "do": "disable", "csrf_token": csrf_token(operator, page)},
        follow_redirects=True,
    )
    assert "tasks needs it" in response.get_data(as_text=True)


def test_plugin_settings_are_validated_with_field_errors(app, operator, make_tenant):
    acme = make_tenant("acme", plugins=["notes"])
    page = f"/admin/tenants/plugins/?id={acme.id}"
    response = operator.post(
        page,
        data={
            "plugin": "notes",
            "do": "settings",
            "max_note_length": "5",
            "per_page": "20",
            "allow_markdown": "y",
            "csrf_token": csrf_token(operator, page),
        },
    )
    body = response.get_data(as_text=True)
    assert "max_note_length" in body and "greater than or equal to 100" in body
    with app.app_context():
        row = db.session.scalar(select(TenantPlugin).where(TenantPlugin.plugin == "notes"))
        assert row.settings["max_note_length"] == 20_000


def test_suspending_a_tenant_closes_its_site(app, operator, make_tenant):
    acme = make_tenant("acme")
    token = csrf_token(operator, "/admin/tenants/")
    operator.post(
        "/admin/tenants/action/",
        data={"action": "suspend", "rowid": str(acme.id), "csrf_token": token},
    )
    assert client_for(app, "acme.localhost").get("/").status_code == 403


def test_users_of_every_tenant_are_listed_with_their_tenant(operator, make_tenant, make_user):
    acme, bravo = make_tenant("acme"), make_tenant("bravo")
    make_user(acme, "ann@acme.test")
    make_user(bravo, "bob@bravo.test")
    body = operator.get("/admin/users/").get_data(as_text=True)
    assert "ann@acme.test" in body and "bob@bravo.test" in body
    assert "acme" in body and "bravo" in body


def test_the_plugins_page_shows_the_registry(operator):
    body = operator.get("/admin/plugins/").get_data(as_text=True)
    assert "tenantry-notes" in body and "tenantry-tasks" in body


def test_plugin_platform_views_list_every_tenant_read_only(app, operator, make_tenant, make_user):
    from tenantry import tenant_context
    from tenantry_notes.models import Note

    for slug in ("acme", "bravo"):
        tenant = make_tenant(slug, plugins=["notes"])
        with app.app_context(), tenant_context(tenant):
            db.session.add(Note(title=f"{slug} plan"))
            db.session.commit()
    body = operator.get("/admin/notes_note/").get_data(as_text=True)
    assert "acme plan" in body and "bravo plan" in body
    assert operator.get("/admin/notes_note/new/").status_code in (302, 403, 404)
    with app.app_context(), all_tenants():
        assert db.session.query(Note).count() == 2


def test_editing_a_tenants_status_follows_the_lifecycle_rules(app, operator, make_tenant):
    from tenantry.signals import tenant_suspended

    acme = make_tenant("acme")
    received = []
    tenant_suspended.connect(received.append, weak=False)
    page = f"/admin/tenants/edit/?id={acme.id}"
    try:
        operator.post(
            page,
            data={
                "slug": "acme",
                "name": "Acme",
                "status": "suspended",
                "csrf_token": csrf_token(operator, page),
            },
        )
    finally:
        tenant_suspended.disconnect(received.append)
    assert [t.slug for t in received] == ["acme"]
    assert client_for(app, "acme.localhost").get("/").status_code == 403
    # Deleting is not a status to pick: it has its own two-step page.
    refused = operator.post(
        page,
        data={
            "slug": "acme",
            "name": "Acme",
            "status": "deleted",
            "csrf_token": csrf_token(operator, page),
        },
    )
    assert "Not a valid choice" in refused.get_data(as_text=True)
    assert client_for(app, "acme.localhost").get("/").status_code == 403


def test_an_operator_cannot_delete_or_disable_themselves(app, operator):
    from tenantry.auth.models import Operator

    with app.app_context():
        me = db.session.scalar(select(Operator))
    token = csrf_token(operator, "/admin/operators/")
    operator.post("/admin/operators/delete/", data={"id": me.id, "csrf_token": token})
    page = f"/admin/operators/edit/?id={me.id}"
    response = operator.post(
        page, data={"email": me.email, "csrf_token": csrf_token(operator, page)}
    )
    assert "cannot disable your own account" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Operator, me.id).active


def test_an_optional_number_setting_is_an_empty_number_field_not_null(operator, make_tenant):
    acme = make_tenant("acme", plugins=["tasks"])
    body = operator.get(f"/admin/tenants/plugins/?id={acme.id}").get_data(as_text=True)
    field = re.search(r'<input[^>]*name="default_due_days"[^>]*>', body).group(0)
    assert 'type="number"' in field and 'value=""' in field
    assert "null" not in field


def test_a_refused_enable_does_not_redraw_settings_from_the_post(operator, make_tenant):
    """Only a refused *settings* change shows what was posted; other refusals are flashed
    and the stored settings stay on the page (a checkbox is never shown unchecked)."""
    acme = make_tenant("acme", plugins=["tasks"])
    page = f"/admin/tenants/plugins/?id={acme.id}"
    response = operator.post(
        page,
        data={"plugin": "ghost", "do": "enable", "csrf_token": csrf_token(operator, page)},
        follow_redirects=True,
    )
    body = response.get_data(as_text=True)
    assert "no plugin named &#39;ghost&#39;" in body
    checkbox = re.search(r'<input[^>]*name="show_completed"[^>]*>', body).group(0)
    assert "checked" in checkbox


def test_deleting_a_tenant_says_what_happens_and_needs_the_typed_slug(
    app, operator, make_tenant, make_user
):
    acme = make_tenant("acme")
    make_user(acme)
    page = f"/admin/tenants/delete/?id={acme.id}"
    body = operator.get(page).get_data(as_text=True)
    assert "its sites close (they answer 404)" in body
    assert "can be used again only after the purge" in body
    assert "tenantry_user: 1" in body
    wrong = operator.post(
        page,
        data={
            "do": "delete",
            "grace_days": "0",
            "confirm": "acm",
            "csrf_token": csrf_token(operator, page),
        },
    )
    assert "Type acme to confirm." in wrong.get_data(as_text=True)
    assert client_for(app, "acme.localhost").get("/").status_code == 200
    done = operator.post(
        page,
        data={
            "do": "delete",
            "grace_days": "0",
            "confirm": "acme",
            "csrf_token": csrf_token(operator, page),
        },
        follow_redirects=True,
    )
    assert "Tenant acme deleted and purged; the slug is free again." in done.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Tenant).where(Tenant.slug == "acme")) is None
    make_tenant("acme")  # the slug is free again


def test_a_grace_period_keeps_the_data_until_an_operator_purges_it(app, operator, make_tenant):
    acme = make_tenant("acme")
    page = f"/admin/tenants/delete/?id={acme.id}"
    operator.post(
        page,
        data={
            "do": "delete",
            "grace_days": "30",
            "confirm": "acme",
            "csrf_token": csrf_token(operator, page),
        },
    )
    body = operator.get(page).get_data(as_text=True)
    assert "is deleted: its sites answer 404" in body and "Cancel the deletion" in body
    assert client_for(app, "acme.localhost").get("/").status_code == 404
    operator.post(
        page, data={"do": "purge", "confirm": "acme", "csrf_token": csrf_token(operator, page)}
    )
    with app.app_context():
        assert db.session.scalar(select(Tenant).where(Tenant.slug == "acme")) is None
