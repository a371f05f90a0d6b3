"""The root host's landing page: what it tells a stranger, and an operator (item 14)."""

from __future__ import annotations

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
