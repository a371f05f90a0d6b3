"""Headers that keep one person's pages out of shared caches (item 14)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tenantry import db, tenant_context
from tenantry.auth.models import ApiToken, User
from tenantry.testing import client_for, do_login

PRIVATE = "private, no-store"


@pytest.fixture
def acme(make_tenant):
    return make_tenant("acme", plugins=["notes"])


def test_pages_for_a_logged_in_person_are_never_stored(app, acme, make_user, make_operator):
    member = client_for(app, "acme.localhost")
    do_login(member, make_user(acme))
    for path in ("/", "/notes/", "/notes/api/notes", "/account/tokens"):
        assert member.get(path).headers.get("Cache-Control") == PRIVATE, path
    assert member.get("/static/tenantry.css").headers.get("Cache-Control") != PRIVATE
    operator = client_for(app, "localhost")
    do_login(operator, make_operator())
    assert operator.get("/admin/").headers.get("Cache-Control") == PRIVATE


def test_api_answers_to_a_token_are_never_stored(app, acme, make_user):
    make_user(acme)
    with app.app_context(), tenant_context(acme):
        token, secret = ApiToken.issue(db.session.scalar(select(User)), "t")
        db.session.add(token)
        db.session.commit()
    response = client_for(app, "acme.localhost").get(
        "/notes/api/notes", headers={"Authorization": f"Bearer {secret}"}
    )
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == PRIVATE


def test_anonymous_pages_may_be_cached(app, acme):
    for host, path in (("acme.localhost", "/login"), ("localhost", "/"), ("localhost", "/healthz")):
        assert client_for(app, host).get(path).headers.get("Cache-Control") != PRIVATE
