"""Error pages: the base layout for browsers, JSON for API clients, never a traceback."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from tenantry.testing import build_app, settings_for_test

BRAND = '<a class="brand"'
SECRET = "internal detail that must stay in the log"


def get_with_host(app: Flask, host: str, path: str = "/", **headers: str) -> TestResponse:
    """GET ``path`` with exactly this Host header, whatever it is.

    The header is sent as a request header: werkzeug's test client derives HTTP_HOST from
    its base URL after applying ``environ_base``, so ``environ_base`` cannot change it.
    """
    return app.test_client().get(path, headers={"Host": host, **headers})


def assert_no_traceback(body: str) -> None:
    assert "Traceback" not in body
    assert 'File "' not in body


def suspend(app: Flask, slug: str, status: str) -> None:
    from tenantry.db import db
    from tenantry.tenancy import lifecycle

    with app.app_context():
        tenant = lifecycle.find(db.session, slug)
        if status == "deleted":
            lifecycle.delete(db.session, tenant, grace_days=1)
        else:
            lifecycle.set_status(db.session, tenant, status)
        db.session.commit()


# --- not found ----------------------------------------------------------------------------------


def test_unknown_path_answers_404_in_the_base_layout(platform_client):
    response = platform_client.get("/no-such-page")
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert BRAND in body
    assert "Tenantry" in body
    assert "404" in body
    assert "Powered by Tenantry" in body


def test_unknown_path_on_a_tenant_host_shows_the_tenant_brand(make_tenant, tenant_client):
    client = tenant_client(make_tenant("acme", name="Acme Corp"))
    response = client.get("/no-such-page")
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert BRAND in body
    assert "Acme Corp" in body


def test_unknown_path_answers_json_404_when_json_is_accepted(platform_client):
    response = platform_client.get("/no-such-page", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.mimetype == "application/json"
    assert response.json["status"] == 404
    assert response.json["error"] == "Not Found"
    assert response.json["message"]


def test_api_path_answers_json_even_without_accept_header(platform_client):
    response = platform_client.get("/api/no-such-endpoint")
    assert response.status_code == 404
    assert response.mimetype == "application/json"
    assert response.json["status"] == 404


def test_browser_accept_header_gets_html_not_json(platform_client):
    response = platform_client.get(
        "/no-such-page", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    )
    assert response.status_code == 404
    assert response.mimetype == "text/html"


# --- hosts --------------------------------------------------------------------------------------


def test_untrusted_host_answers_400_without_traceback(app):
    response = get_with_host(app, "evil.example.com")
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "400" in body
    assert_no_traceback(body)


def test_untrusted_host_answers_json_400_to_api_clients(app):
    response = get_with_host(app, "evil.example.com", Accept="application/json")
    assert response.status_code == 400
    assert response.json["status"] == 400


def test_malformed_host_under_the_root_answers_400(app):
    response = get_with_host(app, "-acme.localhost")
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "not a valid hostname" in body
    assert_no_traceback(body)


def test_host_with_forbidden_characters_answers_400(app):
    response = get_with_host(app, "bad_host.localhost")
    assert response.status_code == 400
    assert_no_traceback(response.get_data(as_text=True))


def test_host_with_a_non_numeric_port_answers_400(app):
    response = get_with_host(app, "acme.localhost:http")
    assert response.status_code == 400
    assert_no_traceback(response.get_data(as_text=True))


def test_unknown_tenant_subdomain_answers_404(app):
    response = get_with_host(app, "nobody.localhost")
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert "There is no site at this address." in body
    assert BRAND in body


def test_nested_subdomain_of_a_tenant_answers_404(make_tenant, app):
    make_tenant("acme")
    assert get_with_host(app, "www.acme.localhost").status_code == 404


def test_deleted_tenant_answers_404(app, make_tenant, tenant_client):
    acme = make_tenant("acme")
    client = tenant_client(acme)
    assert client.get("/").status_code == 200
    suspend(app, "acme", "deleted")
    response = client.get("/")
    assert response.status_code == 404
    assert "There is no site at this address." in response.get_data(as_text=True)


def test_suspended_tenant_answers_403(app, make_tenant, tenant_client):
    acme = make_tenant("acme", name="Acme Corp")
    suspend(app, "acme", "suspended")
    response = tenant_client(acme).get("/")
    assert response.status_code == 403
    body = response.get_data(as_text=True)
    assert "Acme Corp is suspended" in body
    assert BRAND in body


def test_suspended_tenant_answers_403_on_every_path(app, make_tenant, tenant_client):
    acme = make_tenant("acme")
    suspend(app, "acme", "suspended")
    client = tenant_client(acme)
    assert client.get("/login").status_code == 403
    assert client.get("/no-such-page").status_code == 403


def test_resumed_tenant_answers_again(app, make_tenant, tenant_client):
    acme = make_tenant("acme")
    suspend(app, "acme", "suspended")
    client = tenant_client(acme)
    assert client.get("/").status_code == 403
    suspend(app, "acme", "active")
    assert client.get("/").status_code == 200


def test_suspended_tenant_answers_json_403_to_api_clients(app, make_tenant, tenant_client):
    acme = make_tenant("acme")
    suspend(app, "acme", "suspended")
    response = tenant_client(acme).get("/", headers={"Accept": "application/json"})
    assert response.status_code == 403
    assert response.json["status"] == 403


# --- server errors ------------------------------------------------------------------------------


@pytest.fixture
def boom_app(tmp_path) -> Iterator[Flask]:
    """A fresh app with a view that raises (routes must be added before the first request)."""
    app = build_app(settings_for_test(tmp_path, "sqlite"))

    @app.route("/boom")
    def boom():
        raise RuntimeError(SECRET)

    yield app
    from tenantry.db import db

    with app.app_context():
        db.engine.dispose()


def test_view_that_raises_answers_500_in_the_layout(boom_app):
    response = get_with_host(boom_app, "localhost", "/boom")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert BRAND in body
    assert "Something went wrong on our side" in body


def test_500_page_shows_no_traceback_or_exception_text(boom_app):
    body = get_with_host(boom_app, "localhost", "/boom").get_data(as_text=True)
    assert_no_traceback(body)
    assert SECRET not in body
    assert "RuntimeError" not in body


def test_500_answers_json_to_api_clients(boom_app):
    response = get_with_host(boom_app, "localhost", "/boom", Accept="application/json")
    assert response.status_code == 500
    assert response.json["status"] == 500
    assert SECRET not in response.get_data(as_text=True)


def test_500_is_logged_with_its_traceback(boom_app, caplog):
    with caplog.at_level(logging.ERROR, logger="tenantry.error_pages"):
        get_with_host(boom_app, "localhost", "/boom")
    records = [r for r in caplog.records if r.name == "tenantry.error_pages"]
    assert records
    assert records[0].exc_info is not None
    assert SECRET in str(records[0].exc_info[1])


@pytest.mark.parametrize(
    "send",
    [
        lambda c: c.get("/notes/?q=a%00b"),
        lambda c: c.post("/login", data={"email": "a\x00@b.c", "password": "x"}),
        lambda c: c.post("/notes/api/notes", json={"title": "a\x00b"}),
    ],
)
def test_nul_characters_are_refused_with_400_on_both_databases(app, make_tenant, send):
    from tenantry.testing import client_for

    make_tenant("acme", plugins=["notes"])
    response = send(client_for(app, "acme.localhost"))
    assert response.status_code == 400
    assert "NUL character" in response.get_data(as_text=True)


NUL_BODIES = [
    ("application/merge-patch+json", b'{"title": "a\\u0000b"}'),
    ("application/vnd.api+json", b'{"title": "a\\u0000b"}'),
    ("application/json", '{"title": "a\\u0000b"}'.encode("utf-16")),
    ("application/json", '{"title": "ok", "tags": ["a\\u0000"]}'.encode("utf-32")),
    ("application/json; charset=utf-8", b'{"ti\\u0000tle": "a"}'),
    ("text/plain", b"a\x00b"),
]


def test_nul_in_any_body_is_refused_with_400_and_nothing_is_stored(app, make_tenant, make_user):
    from sqlalchemy import func, select

    from tenantry import db, tenant_context
    from tenantry.testing import client_for, csrf_token, do_login
    from tenantry_notes.models import Note

    acme = make_tenant("acme", plugins=["notes"])
    client = client_for(app, "acme.localhost")
    do_login(client, make_user(acme))
    token = csrf_token(client, "/notes/new")
    for content_type, body in NUL_BODIES:
        response = client.post(
            "/notes/api/notes",
            data=body,
            content_type=content_type,
            headers={"X-CSRFToken": token},
        )
        assert response.status_code == 400, (content_type, body)
    form = {"title": "a\x00b", "body": "", "tags": "", "csrf_token": token}
    assert (
        client.post("/notes/new", data=form, content_type="multipart/form-data").status_code == 400
    )
    with app.app_context(), tenant_context(acme):
        assert db.session.scalar(select(func.count()).select_from(Note)) == 0


@pytest.fixture
def failing_flush_app(app) -> Iterator[Flask]:
    """A second app on the test database with a view whose flush fails, uncaught."""
    app = build_app(app.extensions["tenantry.settings"])

    @app.route("/flush-fails")
    def flush_fails():
        from tenantry import db
        from tenantry_notes.models import Note

        db.session.add(Note(title=None))  # NOT NULL: the flush fails
        db.session.flush()

    yield app
    from tenantry.db import db

    with app.app_context():
        db.engine.dispose()
        db.platform_engine.dispose()


def test_the_error_page_renders_after_a_failed_flush(failing_flush_app, make_tenant):
    """The page needs the tenant's plugins and the user: the session must work again."""
    make_tenant("acme", name="Acme Corp", plugins=["notes"])
    response = get_with_host(failing_flush_app, "acme.localhost", "/flush-fails")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert BRAND in body and "Acme Corp" in body
    assert "Something went wrong on our side" in body


def test_an_unreachable_database_answers_503_not_500(tmp_path):
    from tenantry.app import create_app
    from tenantry.testing import client_for

    app = create_app(
        settings_for_test(
            tmp_path, "sqlite", database_url="postgresql+psycopg://nobody@127.0.0.1:1/none"
        )
    )
    response = client_for(app, "acme.localhost").get("/")
    assert response.status_code == 503
    assert "database is unavailable" in response.get_data(as_text=True)


# --- a host with no usable site, and the JSON error shape ------------------------------------


def test_an_unknown_site_points_at_the_platform_not_at_itself(app):
    response = get_with_host(app, "nosuch.localhost", "/")
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert 'href="http://localhost/"' in body
    assert "/login" not in body and 'href="/"' not in body


def test_a_suspended_site_points_at_the_platform_and_offers_no_login(app, make_tenant):
    make_tenant("acme", name="Acme Corp")
    suspend(app, "acme", "suspended")
    for path in ("/", "/login", "/notes/"):
        response = get_with_host(app, "acme.localhost", path)
        assert response.status_code == 403
        body = response.get_data(as_text=True)
        assert "Acme Corp is suspended" in body
        assert 'href="http://localhost/"' in body
        assert "/login" not in body


def test_a_wrong_method_answers_405_with_allow_in_the_one_json_shape(make_tenant, tenant_client):
    client = tenant_client(make_tenant("acme", plugins=["notes"]))
    response = client.open("/api/openapi.json", method="DELETE")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]
    assert set(response.json) == {"error", "message", "status"}
