"""The root host's landing page: what it tells a stranger, and an operator (item 14)."""

from __future__ import annotations

import re

import pytest

from tenantry.testing import client_for, do_login


def test_the_anonymous_landing_page_names_no_plugin_version_or_refusal(app):
    body = client_for(app, "localhost").get("/").get_data(as_text=True)
    assert "Installed plugins" not in body
    assert "tenantry-notes" not in body and "notes 1.0" not in body and "refused" not in body


def test_an_operator_sees_the_installed_plugins_on_the_landing_page(app, make_operator):
    client = client_for(app, "localhost")
    do_login(client, make_operator())
    body = client.get("/").get_data(as_text=True)
    assert "Installed plugins" in body and "notes 1.0" in body


ICON = re.compile(r'<link rel="icon" href="([^"]+)"')


@pytest.mark.parametrize(
    ("host", "path"),
    [
        ("localhost", "/"),  # the platform's landing page
        ("acme.localhost", "/login"),  # a tenant's site
        ("acme.localhost", "/no-such-page"),  # an error page in the site's layout
        ("localhost", "/admin/"),  # the operators' admin sign-in, in the admin's layout
        ("nosuch.localhost", "/"),  # no site at this host: the error page still has one
    ],
)
def test_every_page_names_an_icon_that_is_served(app, make_tenant, host, path):
    """Without one, browsers ask for /favicon.ico on every page and log its 404."""
    make_tenant("acme")
    client = client_for(app, host)
    page = client.get(path, follow_redirects=True)
    [icon] = ICON.findall(page.get_data(as_text=True))
    served = client.get(icon)
    assert served.status_code == 200
    assert served.mimetype == "image/svg+xml"


def test_a_refused_host_names_an_empty_icon_rather_than_one_it_could_not_serve(app):
    page = app.test_client().get("/", headers={"Host": "evil.example"})
    assert page.status_code == 400
    assert ICON.findall(page.get_data(as_text=True)) == ["data:,"]
