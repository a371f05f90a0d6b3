"""Probes over HTTP: hosts, ids in URLs and API calls, cookies and tokens carried across.

The probes through ``acme_client`` run once per resolution strategy: acme named by its
host, by the X-Tenant header from a trusted proxy, and by the path /t/acme/.
"""

import pytest

from tenantry.testing import assert_isolated, client_for, do_login


@pytest.fixture
def acme_client(strategy_client, acme):
    client = strategy_client(acme.tenant)
    do_login(client, (acme.email, acme.password))
    return client


@pytest.fixture
def host_client(app, acme):
    client = client_for(app, "acme.localhost")
    do_login(client, (acme.email, acme.password))
    return client


@pytest.mark.parametrize(
    "host", ["acme.localhost", "ACME.localhost", "acme.localhost:8000", "acme.localhost."]
)
def test_host_variants_reach_the_same_tenant(app, acme, host):
    body = client_for(app, host).get("/").get_data(as_text=True)
    assert "Acme" in body


def test_x_forwarded_host_is_ignored_without_trusted_proxies(app, acme, bravo):
    client = client_for(app, "acme.localhost")
    response = client.get("/", headers={"X-Forwarded-Host": "bravo.localhost"})
    assert "Acme" in response.get_data(as_text=True)
    assert "Bravo" not in response.get_data(as_text=True)


def test_spoofed_host_outside_the_platform_is_refused(app, acme):
    assert client_for(app, "acme.localhost.evil.com").get("/").status_code == 400
    assert client_for(app, "evil.com").get("/").status_code == 400


def test_another_tenants_note_by_url_is_404_like_a_missing_one(acme_client, acme, bravo):
    foreign = acme_client.get(f"/notes/{bravo.note_ids[0]}")
    missing = acme_client.get("/notes/999999")
    assert foreign.status_code == missing.status_code == 404
    assert_isolated(foreign.get_data(as_text=True), ["bravo-note", "secret of bravo"])


def test_another_tenants_note_by_api_is_404_exactly_like_a_missing_one(acme_client, bravo):
    foreign = acme_client.get(f"/notes/api/notes/{bravo.note_ids[0]}")
    missing = acme_client.get("/notes/api/notes/999999")
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json == missing.json


@pytest.mark.parametrize("method", ["patch", "delete"])
def test_another_tenants_note_cannot_be_changed_through_the_api(acme_client, app, bravo, method):
    response = getattr(acme_client, method)(
        f"/notes/api/notes/{bravo.note_ids[0]}",
        json={"title": "defaced"},
        headers={"X-CSRFToken": _csrf(acme_client)},
    )
    assert response.status_code == 404
    other = client_for(app, "bravo.localhost")
    do_login(other, (bravo.email, bravo.password))
    assert other.get(f"/notes/api/notes/{bravo.note_ids[0]}").json["title"] == "bravo-note-0"


def test_list_pages_never_show_another_tenants_rows(acme_client):
    for path in [
        "/",
        "/notes/",
        "/notes/api/notes",
        "/tasks/",
        "/manage/notes_note/",
        "/manage/tasks_task/",
        "/manage/users/",
    ]:
        response = acme_client.get(path)
        assert response.status_code == 200, path
        assert_isolated(response.get_data(as_text=True), ["bravo-", "owner@bravo.test"])


def test_tenant_admin_cannot_open_another_tenants_rows_by_id(acme_client, bravo):
    for path in [
        f"/manage/notes_note/edit/?id={bravo.note_ids[0]}",
        f"/manage/notes_note/details/?id={bravo.note_ids[0]}",
        f"/manage/users/edit/?id={bravo.user_id}",
    ]:
        response = acme_client.get(path, follow_redirects=True)
        assert_isolated(response.get_data(as_text=True), ["bravo-note", "owner@bravo.test"])


def test_a_session_cookie_of_one_tenant_authenticates_nobody_on_another(app, host_client, bravo):
    cookie = host_client.get_cookie("tenantry_session", domain="acme.localhost")
    replay = client_for(app, "bravo.localhost")
    replay.set_cookie("tenantry_session", cookie.value, domain="bravo.localhost")
    assert replay.get("/notes/").status_code == 302  # to the login page
    root = client_for(app, "localhost")
    root.set_cookie("tenantry_session", cookie.value, domain="localhost")
    assert root.get("/admin/").status_code == 302


def test_session_cookie_is_host_only(host_client):
    cookie = host_client.get_cookie("tenantry_session", domain="acme.localhost")
    assert cookie.domain in ("acme.localhost", "")
    assert not cookie.domain.startswith(".")
    assert cookie.http_only


def test_an_api_token_of_one_tenant_is_rejected_on_another(app, acme, bravo):
    headers = {"Authorization": f"Bearer {acme.token}"}
    assert (
        client_for(app, "acme.localhost").get("/notes/api/notes", headers=headers).status_code
        == 200
    )
    assert (
        client_for(app, "bravo.localhost").get("/notes/api/notes", headers=headers).status_code
        == 401
    )


def test_csrf_is_required_for_session_authenticated_writes(acme_client):
    response = acme_client.post("/notes/api/notes", json={"title": "no token"})
    assert response.status_code == 400


def _csrf(client):
    from tenantry.testing import csrf_token

    return csrf_token(client, "/notes/new")


def test_x_forwarded_host_is_believed_only_behind_a_configured_proxy(tmp_path):
    from tenantry import db
    from tenantry.tenancy import lifecycle
    from tenantry.testing import build_app, settings_for_test

    app = build_app(settings_for_test(tmp_path, "sqlite", trusted_proxies=1))
    with app.app_context():
        lifecycle.create(db.session, "acme", "Acme Behind Proxy")
        db.session.commit()
    client = client_for(app, "localhost")
    response = client.get("/", headers={"X-Forwarded-Host": "acme.localhost"})
    assert "Acme Behind Proxy" in response.get_data(as_text=True)
