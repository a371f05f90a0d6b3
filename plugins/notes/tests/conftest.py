import pytest

from tenantry.testing import client_for, csrf_token, do_login


@pytest.fixture
def acme(make_tenant):
    return make_tenant("acme", plugins=["notes"])


@pytest.fixture
def client(app, acme, make_user):
    """A logged-in member of acme, with the CSRF token for JSON writes in its headers."""

    client = client_for(app, "acme.localhost")
    do_login(client, make_user(acme, "ann@acme.test"))
    client.csrf = csrf_token(client, "/notes/new")
    return client


def api(client, method, path, **kwargs):
    headers = kwargs.pop("headers", {})
    if method != "get":
        headers["X-CSRFToken"] = client.csrf
    return getattr(client, method)(f"/notes/api{path}", headers=headers, **kwargs)
