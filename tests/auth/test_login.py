import logging

import pytest

from tenantry.testing import client_for, csrf_token, do_login


@pytest.fixture
def acme(make_tenant):
    return make_tenant("acme", plugins=["notes"])


@pytest.fixture
def acme_user(acme, make_user):
    return make_user(acme, "ann@acme.test")


def test_a_user_logs_in_on_their_tenants_host(app, acme, acme_user):
    client = client_for(app, "acme.localhost")
    response = do_login(client, acme_user)
    assert response.status_code == 302 and response.location == "/"
    assert client.get("/notes/").status_code == 200


def test_wrong_password_is_refused_with_a_message(app, acme, acme_user):
    client = client_for(app, "acme.localhost")
    response = do_login(client, (acme_user[0], "not-the-password"))
    assert response.status_code == 200
    assert "Wrong email or password." in response.get_data(as_text=True)
    assert client.get("/notes/").status_code == 302


def test_the_same_email_in_two_tenants_is_two_accounts(app, make_tenant, make_user):
    acme, bravo = make_tenant("acme"), make_tenant("bravo")
    make_user(acme, "same@x.test")
    make_user(bravo, "same@x.test")
    for slug in ("acme", "bravo"):
        assert (
            do_login(
                client_for(app, f"{slug}.localhost"), ("same@x.test", "correct-horse-battery")
            ).status_code
            == 302
        )


def test_users_cannot_log_in_on_another_tenant_or_the_root_host(app, make_tenant, acme, acme_user):
    make_tenant("bravo")
    assert do_login(client_for(app, "bravo.localhost"), acme_user).status_code == 200
    assert do_login(client_for(app, "localhost"), acme_user).status_code == 200


def test_operators_log_in_on_the_root_host_only(app, acme, make_operator):
    operator = make_operator()
    assert do_login(client_for(app, "acme.localhost"), operator).status_code == 200
    assert do_login(client_for(app, "localhost"), operator).status_code == 302


def test_a_disabled_account_cannot_log_in(app, acme, acme_user):
    from sqlalchemy import update

    from tenantry import all_tenants, db
    from tenantry.auth.models import User

    with app.app_context(), all_tenants():
        db.session.execute(update(User).values(active=False))
        db.session.commit()
    assert do_login(client_for(app, "acme.localhost"), acme_user).status_code == 200


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/notes/", "/notes/"),
        ("//evil.com/", "/"),
        ("http://evil.com/", "/"),
        ("https://acme.localhost.evil.com/", "/"),
        ("/\\evil.com", "/"),
        ("javascript:alert(1)", "/"),
        ("/\r\n//evil.com", "/"),  # browsers drop the line break: "///evil.com"
        ("/\t/evil.com", "/"),
    ],
)
def test_next_only_redirects_within_the_same_host(app, acme, acme_user, target, expected):
    client = client_for(app, "acme.localhost")
    token = csrf_token(client, "/login")
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"email": acme_user[0], "password": acme_user[1], "csrf_token": token},
    )
    assert response.status_code == 302
    assert response.location == expected


def test_login_starts_a_fresh_session(app, acme, acme_user):
    client = client_for(app, "acme.localhost")
    with client.session_transaction() as before:
        before["planted"] = "by an attacker before login"
    do_login(client, acme_user)
    with client.session_transaction() as after:
        assert "planted" not in after
        assert after["_user_id"].startswith("u:")


def test_logout_clears_the_session(app, acme, acme_user):
    client = client_for(app, "acme.localhost")
    do_login(client, acme_user)
    response = client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert response.status_code == 302
    assert client.get("/notes/").status_code == 302
    with client.session_transaction() as session:
        assert "_user_id" not in session


def test_login_without_a_csrf_token_is_refused(app, acme, acme_user):
    client = client_for(app, "acme.localhost")
    response = client.post("/login", data={"email": acme_user[0], "password": acme_user[1]})
    assert response.status_code == 400
    assert "Reload the page" in response.get_data(as_text=True)


def test_login_is_throttled_per_account_with_a_clear_429(
    app, acme, acme_user, make_tenant, make_user
):
    client = client_for(app, "acme.localhost")
    statuses = [do_login(client, (acme_user[0], "wrong-password!")).status_code for _ in range(11)]
    assert statuses[:10] == [200] * 10
    assert statuses[10] == 429
    assert "Too many login attempts" in do_login(client, acme_user).get_data(as_text=True)


def test_one_tenants_throttle_does_not_lock_the_same_email_elsewhere(
    app, acme, make_tenant, make_user
):
    bravo = make_tenant("bravo")
    make_user(acme, "same@x.test")
    make_user(bravo, "same@x.test")
    acme_client = client_for(app, "acme.localhost")
    for _ in range(6):
        do_login(acme_client, ("same@x.test", "wrong-password!"))
    from tenantry.auth.throttle import throttle

    with app.app_context():  # the address limit is shared by design; clear it, keep accounts'
        limiter = throttle()
        limiter.clear_address("127.0.0.1")
    response = do_login(
        client_for(app, "bravo.localhost"), ("same@x.test", "correct-horse-battery")
    )
    assert response.status_code == 302


def test_passwords_never_reach_the_logs(app, acme, acme_user, caplog):
    with caplog.at_level(logging.DEBUG):
        do_login(client_for(app, "acme.localhost"), acme_user)
        do_login(client_for(app, "acme.localhost"), (acme_user[0], "another-secret-pw"))
    assert acme_user[1] not in caplog.text
    assert "another-secret-pw" not in caplog.text


def test_security_headers_are_on_every_response(app, acme):
    response = client_for(app, "acme.localhost").get("/login")
    headers = response.headers
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Strict-Transport-Security" not in headers
    for path in ("/healthz", "/nope", "/admin/"):
        assert "Content-Security-Policy" in client_for(app, "localhost").get(path).headers
