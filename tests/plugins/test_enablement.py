"""Per-tenant enablement: dependencies, hooks, settings, live changes, gating, missing plugins."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from tenantry.db import db
from tenantry.plugins import enablement
from tenantry.plugins.models import TenantPlugin
from tenantry.plugins.runtime import runtime
from tenantry.tenancy import lifecycle
from tenantry.tenancy.context import tenant_context
from tenantry.testing import client_for, csrf_token, do_login, host_of


def enabled_plugins(app: Flask, slug: str) -> dict[str, bool]:
    with app.app_context():
        tenant = lifecycle.find(db.session, slug)
        rows = db.session.scalars(select(TenantPlugin).where(TenantPlugin.tenant_id == tenant.id))
        return {row.plugin: row.enabled for row in rows}


def change(app: Flask, slug: str, action: str, plugin: str) -> Any:
    """Enable or disable ``plugin`` for ``slug`` and commit, as the CLI and admin do."""
    with app.app_context():
        tenant = lifecycle.find(db.session, slug)
        result = getattr(enablement, action)(db.session, runtime().registry, tenant, plugin)
        db.session.commit()
        return result


def nav_links(body: str) -> list[str]:
    nav = re.search(r'<nav class="nav"[^>]*>(.*?)</nav>', body, re.S)
    assert nav, "no navigation in the page"
    return re.findall(r'href="([^"]+)"', nav.group(1))


def test_enabling_tasks_enables_notes_first(app, make_tenant):
    make_tenant("acme")
    assert change(app, "acme", "enable", "tasks") == ["notes", "tasks"]
    assert enabled_plugins(app, "acme") == {"notes": True, "tasks": True}
    assert change(app, "acme", "enable", "tasks") == []  # already on: nothing to do


def test_disabling_notes_while_tasks_needs_it_is_refused(app, make_tenant):
    make_tenant("acme", plugins=["tasks"])
    with pytest.raises(enablement.EnablementError) as refused:
        change(app, "acme", "disable", "notes")
    assert str(refused.value) == (
        "cannot disable 'notes' for 'acme': tasks needs it; disable those first"
    )
    assert enabled_plugins(app, "acme") == {"notes": True, "tasks": True}
    assert change(app, "acme", "disable", "tasks") is True
    assert change(app, "acme", "disable", "notes") is True
    assert enabled_plugins(app, "acme") == {"notes": False, "tasks": False}


def test_the_cli_reports_a_refused_disable_without_a_traceback(app, make_tenant):
    make_tenant("acme", plugins=["tasks"])
    with app.app_context():
        result = app.test_cli_runner().invoke(
            args=["plugins", "disable", "notes", "--tenant", "acme"]
        )
    assert result.exit_code == 1
    assert "tasks needs it" in result.output and "Traceback" not in result.output


def test_on_enable_runs_for_the_tenant(app, make_tenant, make_user, tenant_client, login):
    from tenantry_tasks.models import Task

    acme = make_tenant("acme", plugins=["tasks"])
    other = make_tenant("other", plugins=["notes"])
    client = tenant_client(acme)
    login(client, make_user(acme))
    assert "Link a task to a note" in client.get("/tasks/").get_data(as_text=True)
    with app.app_context(), tenant_context(acme):
        assert [t.title for t in db.session.scalars(select(Task))] == [
            "Link a task to a note from the note's page"
        ]
    with app.app_context(), tenant_context(other):
        assert db.session.scalars(select(Task)).all() == []


def test_settings_are_validated_with_field_errors(app, make_tenant):
    make_tenant("acme", plugins=["notes"])
    with app.app_context():
        tenant = lifecycle.find(db.session, "acme")
        registry = runtime().registry
        with pytest.raises(enablement.PluginSettingsError) as invalid:
            enablement.update_settings(
                db.session, registry, tenant, "notes", {"max_note_length": 5, "per_page": 7}
            )
        assert set(invalid.value.errors) == {"max_note_length"}
        assert "greater than or equal to 100" in invalid.value.errors["max_note_length"]
        assert "max_note_length" in str(invalid.value)
        with pytest.raises(enablement.PluginSettingsError) as unknown_type:
            enablement.update_settings(db.session, registry, tenant, "notes", {"per_page": "many"})
        assert set(unknown_type.value.errors) == {"per_page"}
        db.session.rollback()
        saved = enablement.update_settings(
            db.session, registry, tenant, "notes", {"max_note_length": 150}
        )
        db.session.commit()
    assert saved == {"max_note_length": 150, "allow_markdown": True, "per_page": 20}


def test_settings_take_effect_on_the_next_request(
    app, make_tenant, make_user, tenant_client, login
):
    acme = make_tenant("acme", plugins=["notes"])
    client = tenant_client(acme)
    login(client, make_user(acme))

    def create(body: str) -> str:
        token = csrf_token(client, "/notes/new")
        data = {"title": "T", "body": body, "tags": "", "csrf_token": token}
        return client.post("/notes/new", data=data).get_data(as_text=True)

    assert "at most" not in create("x" * 150)
    with app.app_context():
        tenant = lifecycle.find(db.session, "acme")
        enablement.update_settings(
            db.session, runtime().registry, tenant, "notes", {"max_note_length": 100}
        )
        db.session.commit()
    assert "at most 100 characters (this one has 150)" in create("x" * 150)


@pytest.fixture
def second_worker(app: Flask) -> Iterator[Flask]:
    """Another app on the same database, as a second worker process would have."""
    from tenantry.app import create_app

    other = create_app(app.extensions["tenantry.settings"])
    other.config["TESTING"] = True
    yield other
    with other.app_context():
        db.engine.dispose()


def test_enable_and_disable_take_effect_without_a_restart(
    app, second_worker, make_tenant, make_user
):
    acme = make_tenant("acme", plugins=["notes"])
    credentials = make_user(acme)
    first = client_for(app, host_of(acme))
    second = client_for(second_worker, host_of(acme))
    do_login(first, credentials)
    do_login(second, credentials)
    assert first.get("/notes/").status_code == 200
    assert second.get("/notes/").status_code == 200  # both workers cached "notes is on"

    change(app, "acme", "disable", "notes")
    assert first.get("/notes/").status_code == 404
    assert second.get("/notes/").status_code == 404

    change(app, "acme", "enable", "notes")
    assert first.get("/notes/").status_code == 200
    assert second.get("/notes/").status_code == 200
    assert second.get("/tasks/").status_code == 404
    change(app, "acme", "enable", "tasks")
    assert second.get("/tasks/").status_code == 200


def test_plugin_routes_do_not_exist_on_the_root_host(platform_client, make_tenant):
    make_tenant("acme", plugins=["tasks"])
    for path in ("/notes/", "/notes/api/notes", "/tasks/"):
        assert platform_client.get(path).status_code == 404, path


def test_plugin_routes_are_404_for_a_tenant_without_the_plugin(
    make_tenant, make_user, tenant_client, login
):
    plain = make_tenant("plain")
    client = tenant_client(plain)
    login(client, make_user(plain, role="admin"))
    assert client.get("/").status_code == 200
    for path in ("/notes/", "/notes/new", "/notes/api/notes", "/tasks/"):
        assert client.get(path).status_code == 404, path
    assert client.get("/manage/").status_code == 200
    assert client.get("/manage/notes_note/").status_code in (403, 404)


def test_navigation_shows_only_enabled_plugins(make_tenant, make_user, tenant_client, login):
    notes_only = make_tenant("acme", plugins=["notes"])
    both = make_tenant("globex", plugins=["tasks"])
    plain = make_tenant("plain")
    links = {}
    for tenant in (notes_only, both, plain):
        client = tenant_client(tenant)
        login(client, make_user(tenant))
        links[tenant.slug] = nav_links(client.get("/").get_data(as_text=True))
    assert links == {
        "acme": ["/notes/"],
        "globex": ["/notes/", "/tasks/"],
        "plain": [],
    }


def test_an_uninstalled_plugin_shows_as_missing_and_the_tenant_still_works(
    app, make_tenant, make_user, tenant_client, login
):
    acme = make_tenant("acme", plugins=["notes"])
    with app.app_context():
        db.session.add(TenantPlugin(tenant_id=acme.id, plugin="ghost", enabled=True, settings={}))
        tenant = lifecycle.find(db.session, "acme")
        tenant.revision += 1
        db.session.commit()
        listing = app.test_cli_runner().invoke(args=["plugins", "list"]).output
    ghost = [line for line in listing.splitlines() if line.startswith("ghost")]
    assert len(ghost) == 1, listing
    assert "missing" in ghost[0] and "enabled by tenants but not installed" in ghost[0]
    assert re.search(r"\bmissing\s+1\b", ghost[0])

    client = tenant_client(acme)
    login(client, make_user(acme))
    home = client.get("/")
    assert home.status_code == 200
    assert nav_links(home.get_data(as_text=True)) == ["/notes/"]
    assert client.get("/notes/").status_code == 200
    assert client.get("/ghost/").status_code == 404


def test_receivers_run_only_for_tenants_that_enabled_the_plugin(
    app, make_tenant, make_user, tenant_client, login, monkeypatch
):
    from tenantry_notes.models import Note
    from tenantry_tasks import service
    from tenantry_tasks.models import Task

    original = service.unlink_note
    calls: list[str] = []

    def spy(note: Any) -> None:
        from tenantry import current_tenant

        calls.append(current_tenant.slug)
        original(note)

    monkeypatch.setattr(service, "unlink_note", spy)

    with_tasks = make_tenant("acme", plugins=["tasks"])
    notes_only = make_tenant("plain", plugins=["notes"])
    ids = {}
    for tenant in (with_tasks, notes_only):
        with app.app_context(), tenant_context(tenant):
            note = Note(title=f"{tenant.slug} note", body="")
            db.session.add(note)
            db.session.flush()
            if tenant is with_tasks:
                db.session.add(Task(title="follow up", note_id=note.id))
            db.session.commit()
            ids[tenant.slug] = note.id

    for tenant in (notes_only, with_tasks):
        client = tenant_client(tenant)
        login(client, make_user(tenant))
        path = f"/notes/{ids[tenant.slug]}"
        deleted = client.post(f"{path}/delete", data={"csrf_token": csrf_token(client, path)})
        assert deleted.status_code == 302
        assert client.get(path).status_code == 404

    assert calls == ["acme"]
    with app.app_context(), tenant_context(with_tasks):
        task = db.session.scalar(select(Task).where(Task.title == "follow up"))
        assert task is not None and task.note_id is None


def test_a_failing_on_enable_hook_refuses_the_change_and_keeps_nothing(app, make_tenant):
    from sqlalchemy import select

    from tenantry import db
    from tenantry.plugins import enablement
    from tenantry.plugins.models import TenantPlugin
    from tenantry.plugins.runtime import runtime
    from tenantry.tenancy.lifecycle import find

    make_tenant("acme")
    with app.app_context():
        tasks = runtime().registry.get("tasks")
        original = tasks.on_enable

        def boom(_ref):
            raise RuntimeError("disk full")

        tasks.on_enable = boom
        try:
            with pytest.raises(
                enablement.EnablementError, match="on_enable: RuntimeError: disk full"
            ):
                enablement.enable(db.session, runtime().registry, find(db.session, "acme"), "tasks")
            db.session.rollback()
        finally:
            tasks.on_enable = original
        assert db.session.scalars(select(TenantPlugin)).all() == []
