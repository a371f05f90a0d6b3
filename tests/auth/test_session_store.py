"""Sessions kept in Redis (``session_store = "redis"``): the cookie carries only a signed
id, the payload lives under a key naming the host; sign-in and sign-out take new ids;
CSRF and the tenant binding are the same as with the signed cookie. The app of this
module is built with the setting, on SQLite and PostgreSQL, against a real Redis."""

from __future__ import annotations

import pytest
import redis

from tenantry.auth.session_store import KEY_PREFIX
from tenantry.settings import SettingsError, load_settings
from tenantry.testing import (
    REDIS_URL,
    build_app,
    client_for,
    csrf_token,
    do_login,
    free_port,
    require_redis,
    settings_for_test,
)

COOKIE = "tenantry_session"


@pytest.fixture(scope="module")
def _session_app(backend, request, tmp_path_factory):
    """This module's app: the session payload in Redis (overrides the kit's fixture)."""
    require_redis()
    scratch = request.getfixturevalue("_scratch_postgres") if backend == "postgres" else None
    settings = settings_for_test(
        tmp_path_factory.mktemp(f"redis-sessions-{backend}"),
        backend,
        scratch,
        session_store="redis",
        redis_url=REDIS_URL,
    )
    return build_app(settings)


@pytest.fixture
def store():
    return redis.Redis.from_url(REDIS_URL)


@pytest.fixture
def acme(make_tenant):
    return make_tenant("acme", plugins=["notes"])


def cookie_of(client, host="acme.localhost"):
    cookie = client.get_cookie(COOKIE, domain=host)
    return cookie.value if cookie else None


def stored_ids(store, host="acme.localhost"):
    return {key.decode().rpartition(":")[2] for key in store.scan_iter(f"{KEY_PREFIX}{host}:*")}


def sid_of(app, cookie):
    return app.session_interface.get_signing_serializer(app).loads(cookie)


def test_the_payload_is_in_redis_and_the_cookie_holds_only_a_signed_id(app, acme, make_user, store):
    client = client_for(app, "acme.localhost")
    do_login(client, make_user(acme, "ann@acme.test"))
    assert client.get("/notes/").status_code == 200
    sid = sid_of(app, cookie_of(client))
    payload = store.get(f"{KEY_PREFIX}acme.localhost:{sid}").decode()
    assert '"_user_id"' in payload and "_user_id" not in cookie_of(client)
    assert 0 < store.ttl(f"{KEY_PREFIX}acme.localhost:{sid}") <= 14 * 86400


def test_signing_in_and_out_take_new_ids_and_drop_the_old_payloads(app, acme, make_user, store):
    client = client_for(app, "acme.localhost")
    csrf_token(client, "/login")  # an anonymous session with its CSRF token: an id
    before = sid_of(app, cookie_of(client))
    assert before in stored_ids(store)
    do_login(client, make_user(acme, "ann@acme.test"))
    signed_in = sid_of(app, cookie_of(client))
    assert signed_in != before and before not in stored_ids(store)

    copy = cookie_of(client)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert signed_in not in stored_ids(store)
    thief = client_for(app, "acme.localhost")
    thief.set_cookie(COOKIE, copy, domain="acme.localhost")
    assert thief.get("/notes/").status_code == 302  # the copy opens nothing


def test_a_cookie_brought_to_another_tenants_host_opens_nothing(app, acme, make_tenant, make_user):
    make_tenant("bravo", plugins=["notes"])
    client = client_for(app, "acme.localhost")
    do_login(client, make_user(acme, "ann@acme.test"))
    elsewhere = client_for(app, "bravo.localhost")
    elsewhere.set_cookie(COOKIE, cookie_of(client), domain="bravo.localhost")
    assert elsewhere.get("/notes/").status_code == 302


def test_csrf_is_still_checked(app, acme, make_user):
    client = client_for(app, "acme.localhost")
    email, password = make_user(acme, "ann@acme.test")
    client.get("/login")
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 400
    assert "Reload the page" in response.get_data(as_text=True)


def test_an_unreachable_redis_is_no_server_error(tmp_path):
    settings = settings_for_test(
        tmp_path,
        "sqlite",
        session_store="redis",
        redis_url=f"redis://127.0.0.1:{free_port()}/0",
    )
    app = build_app(settings)
    client = client_for(app, "localhost")
    assert client.get("/login").status_code == 200
    token = csrf_token(client, "/login")
    refused = client.post(
        "/login", data={"email": "a@b.test", "password": "x", "csrf_token": token}
    )
    assert refused.status_code == 400  # no session to keep the CSRF token in: "reload"


def test_redis_sessions_without_redis_are_a_one_line_startup_error():
    with pytest.raises(SettingsError, match="session_store=redis needs redis_url"):
        load_settings(env="test", secret_key="x" * 32, session_store="redis", redis_url=None)
