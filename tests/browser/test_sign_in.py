"""Single sign-on in a real browser: a tenant admin sets up the tenant's OpenID Connect
issuer in /manage, a member clicks "Sign in with ..." on the login page, passes through
the issuer (a real one on loopback) and lands signed in; signing out goes through the
issuer's end-session endpoint and back to the login page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tenantry.testing import OidcIssuer

pytestmark = pytest.mark.browser


@pytest.fixture
def issuer(site, monkeypatch):
    monkeypatch.setattr(site.app.extensions["tenantry.settings"], "oidc_allow_http_issuers", True)
    with OidcIssuer() as running:
        yield running


def test_an_admin_sets_up_sso_and_a_member_signs_in_and_out_through_it(
    site, new_page, watch, issuer
):
    slug = site.DEMO
    name = site.unique("Demo SSO ")
    client_id = site.unique("demo-app-")
    issuer.add_client(client_id, "demo-secret")
    admin = new_page()
    site.log_in(admin, slug, site.make_user(slug, role="admin"))
    admin.goto(site.url(slug, "/manage/sign_in/new/"))
    admin.get_by_label("Name").fill(name)
    admin.get_by_label("Issuer").fill(issuer.url)
    admin.get_by_label("Client id").fill(client_id)
    admin.get_by_label("Client secret").fill("demo-secret")
    admin.get_by_role("button", name="Save", exact=True).click()
    expect(
        admin.locator(".flash-success", has_text=f"Sign-in provider {name} created")
    ).to_be_visible()
    assert "demo-secret" not in admin.content()

    member_email, _password = site.make_user(slug)
    issuer.person = {"sub": member_email, "email": member_email, "email_verified": True}
    member = new_page()
    member.goto(site.url(slug, "/login"))
    with member.expect_navigation(url=site.url(slug, "/")):
        member.get_by_role("link", name=f"Sign in with {name}").click()
    expect(member.locator(".account .who")).to_have_text(member_email)

    with member.expect_navigation(url=site.url(slug, "/login") + "*"):
        member.get_by_role("button", name="Log out").click()
    assert issuer.ended_sessions and issuer.ended_sessions[-1]["client_id"] == client_id
    expect(member.get_by_role("heading", name="Log in")).to_be_visible()
    watch.assert_clean()
