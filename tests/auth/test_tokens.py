import re

import pytest

from tenantry.testing import client_for, csrf_token, do_login


@pytest.fixture
def client(app, make_tenant, make_user):
    acme = make_tenant("acme", plugins=["notes"])
    client = client_for(app, "acme.localhost")
    do_login(client, make_user(acme, "ann@acme.test"))
    return client


def create_token(client, name="ci"):
    token = csrf_token(client, "/account/tokens")
    page = client.post("/account/tokens", data={"name": name, "csrf_token": token})
    match = re.search(r'data-testid="new-token">(tnt_[^<]+)<', page.get_data(as_text=True))
    assert match
    return match.group(1)


def test_a_token_is_shown_once_and_stored_hashed(app, client):
    secret = create_token(client)
    assert secret not in client.get("/account/tokens").get_data(as_text=True)
    from sqlalchemy import select

    from tenantry import all_tenants, db
    from tenantry.auth.models import ApiToken

    with app.app_context(), all_tenants():
        stored = db.session.scalar(select(ApiToken))
        assert stored.token_hash != secret and stored.token_hash == ApiToken.digest(secret)


def test_a_token_authenticates_api_calls_without_a_session(app, client):
    secret = create_token(client)
    anonymous = client_for(app, "acme.localhost")
    response = anonymous.post(
        "/notes/api/notes",
        json={"title": "via token"},
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 201
    assert response.json["author"] == "ann@acme.test"


def test_a_bad_token_is_401_json(app, client):
    response = client_for(app, "acme.localhost").get(
        "/notes/api/notes", headers={"Authorization": "Bearer tnt_nope"}
    )
    assert response.status_code == 401
    assert response.json["status"] == 401


def test_a_bad_token_does_not_fall_back_to_the_session(client):
    response = client.get("/notes/api/notes", headers={"Authorization": "Bearer tnt_nope"})
    assert response.status_code == 401


def test_a_revoked_token_stops_working(app, client):
    secret = create_token(client)
    page = client.get("/account/tokens").get_data(as_text=True)
    revoke = re.search(r'action="(/account/tokens/\d+/revoke)"', page).group(1)
    client.post(revoke, data={"csrf_token": csrf_token(client, "/account/tokens")})
    response = client_for(app, "acme.localhost").get(
        "/notes/api/notes", headers={"Authorization": f"Bearer {secret}"}
    )
    assert response.status_code == 401


def test_tokens_page_needs_a_tenant_user(app):
    assert client_for(app, "localhost").get("/account/tokens").status_code == 302


def test_a_token_call_gets_no_session_cookie_and_a_cookieless_call_gets_401(app, client):
    secret = create_token(client)
    program = client_for(app, "acme.localhost")
    response = program.get("/notes/api/notes", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    nobody = client_for(app, "acme.localhost").post("/notes/api/notes", json={"title": "x"})
    assert nobody.status_code == 401  # not a CSRF refusal: there is no session to forge
    assert nobody.json["status"] == 401
