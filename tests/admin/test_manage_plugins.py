"""Tenant admins run their own site: /manage turns plugins on and off and edits their
settings through the same service as the platform admin (same dependency rules, same
errors), except the plugins operators locked, for every tenant or for this one."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tenantry import db
from tenantry.plugins.models import TenantPlugin
from tenantry.plugins.registry import discover
from tenantry.plugins.runtime import runtime
from tenantry.settings import PluginSelection
from tenantry.testing import client_for, csrf_token, do_login

PAGE = "/manage/plugins/"


@pytest.fixture
def acme(make_tenant):
    return make_tenant("acme")


@pytest.fixture
def admin(app, acme, make_user):
    client = client_for(app, "acme.localhost")
    do_login(client, make_user(acme, "boss@acme.test", role="admin"))
    return client


def post(client, plugin, do, page=PAGE, **fields):
    data = {"plugin": plugin, "do": do, "csrf_token": csrf_token(client, page), **fields}
    return client.post(page, data=data, follow_redirects=True).get_data(as_text=True)


def enabled(app, tenant) -> set[str]:
    with app.app_context():
        return set(
            db.session.scalars(
                select(TenantPlugin.plugin).where(
                    TenantPlugin.tenant_id == tenant.id, TenantPlugin.enabled.is_(True)
                )
            )
        )


def test_a_tenant_admin_enables_a_plugin_with_what_it_needs_and_sees_it(app, acme, admin):
    body = post(admin, "tasks", "enable")
    assert "Enabled: notes, tasks." in body
    assert enabled(app, acme) == {"notes", "tasks"}
    nav = admin.get("/").get_data(as_text=True)
    assert 'href="/tasks/"' in nav and 'href="/notes/"' in nav


def test_the_same_dependency_rule_and_message_as_the_platform_admin(app, acme, admin):
    post(admin, "tasks", "enable")
    body = post(admin, "notes", "disable")
    assert "cannot disable &#39;notes&#39; for &#39;acme&#39;: tasks needs it" in body
    assert enabled(app, acme) == {"notes", "tasks"}
    post(admin, "tasks", "disable")
    assert enabled(app, acme) == {"notes"}
    assert admin.get("/tasks/").status_code == 404


def test_members_cannot_change_plugins(app, acme, make_user):
    member = client_for(app, "acme.localhost")
    do_login(member, make_user(acme))
    assert member.get(PAGE).status_code == 403
    response = member.post(PAGE, data={"plugin": "notes", "do": "enable"})
    assert response.status_code in (400, 403)
    assert enabled(app, acme) == set()


def test_a_plugin_an_operator_locked_for_this_tenant_is_read_only_here(
    app, acme, admin, make_operator
):
    operator = client_for(app, "localhost")
    do_login(operator, make_operator())
    page = f"/admin/tenants/plugins/?id={acme.id}"
    assert "notes is locked for acme." in post(operator, "notes", "lock", page=page)
    body = post(admin, "notes", "enable")
    assert "&#39;notes&#39; is managed by the platform&#39;s operators" in body
    assert "&#39;tasks&#39; needs &#39;notes&#39;" in post(admin, "tasks", "enable")
    assert enabled(app, acme) == set()
    post(operator, "notes", "enable", page=page)  # operators still can
    assert enabled(app, acme) == {"notes"}
    assert "is managed by the platform" in post(admin, "notes", "disable")
    body = post(admin, "notes", "settings", per_page="5", max_note_length="500")
    assert "is managed by the platform" in body
    post(operator, "notes", "unlock", page=page)
    assert "Disabled notes" in post(admin, "notes", "disable")


def test_a_lock_for_one_tenant_does_not_touch_another(app, acme, admin, make_tenant, make_user):
    from tenantry.plugins import enablement
    from tenantry.tenancy.lifecycle import find

    bravo = make_tenant("bravo")
    with app.app_context():
        enablement.set_locked(
            db.session, runtime().registry, find(db.session, "bravo"), "notes", True
        )
        db.session.commit()
    assert "Enabled: notes." in post(admin, "notes", "enable")
    bravo_admin = client_for(app, "bravo.localhost")
    do_login(bravo_admin, make_user(bravo, role="admin"))
    assert "is managed by the platform" in post(bravo_admin, "notes", "enable")


def test_plugins_locked_in_the_settings_are_locked_for_every_tenant(app, acme, admin, monkeypatch):
    with app.app_context():
        registry = runtime().registry
    monkeypatch.setattr(registry, "locked", frozenset({"tasks"}))
    assert "is managed by the platform" in post(admin, "tasks", "enable")
    page = admin.get(PAGE).get_data(as_text=True)
    assert "locked for every tenant" in page


def test_the_locked_setting_reaches_the_registry():
    selection = PluginSelection(locked=["tasks"])
    assert discover(selection, eps=[]).locked == frozenset({"tasks"})
