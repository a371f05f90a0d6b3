"""Onboarding and accounts in a real browser, with mail through a real SMTP server: an
operator creates a tenant with its first admin, who follows the mailed invitation, runs
the site, invites a member and turns a plugin on; forgot password end to end. The audit
logs show each step."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

CHOSEN = "chosen-in-the-browser"


def set_password(page, password: str = CHOSEN, name: str | None = None) -> None:
    if name is not None:
        page.get_by_label("Your name").fill(name)
    page.get_by_label("Password", exact=True).or_(page.get_by_label("New password")).fill(password)
    page.get_by_label("Repeat it").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Set password and log in").click()


def test_a_new_tenant_from_operator_to_first_admin_to_member_and_plugin(site, new_page, watch):
    slug = site.unique("globex")
    first_admin = f"hank@{slug}.test"
    operator = new_page()
    site.log_in(operator, None, site.make_operator())
    operator.goto(site.url(None, "/admin/tenants/new/"))
    operator.locator("#slug").fill(slug)
    operator.locator("#name").fill("Globex Corp")
    operator.locator("#first_admin").fill(first_admin)
    operator.get_by_role("button", name="Save", exact=True).click()
    expect(operator.locator(".flash-success", has_text=f"Invited {first_admin}")).to_be_visible()
    site_link = operator.get_by_role("link", name=site.url(slug, "/"), exact=True)
    expect(site_link).to_be_visible()  # the tenant list links to the site

    invitation = site.mail.wait_for(first_admin)
    assert invitation.subject == "You are invited to Globex Corp"
    admin = new_page()
    admin.goto(invitation.link("/invitation/"))
    expect(admin.get_by_role("heading", name="Welcome to Globex Corp")).to_be_visible()
    set_password(admin, name="Hank")
    expect(admin.locator(".account .who")).to_have_text(first_admin)  # landed signed in
    expect(admin.locator(".flash")).to_contain_text("Your account is ready")

    admin.locator(".account").get_by_role("link", name="Admin").click()
    navbar = admin.get_by_role("navigation", name="Administration")
    navbar.get_by_role("link", name="Invitations", exact=True).click()
    member = f"mia@{slug}.test"
    admin.get_by_placeholder("name@example.com").fill(member)
    admin.get_by_role("button", name="Send invitation").click()
    expect(admin.locator(".flash-success")).to_contain_text(f"Invitation sent to {member}.")
    expect(admin.get_by_test_id("invitations")).to_contain_text(member)
    assert site.mail.wait_for(member).link("/invitation/").startswith(site.url(slug, "/"))

    navbar.get_by_role("link", name="Plugins", exact=True).click()
    expect(navbar.get_by_role("link", name="Notes")).to_have_count(0)
    admin.locator('[data-plugin="notes"]').get_by_role("button", name="Enable").click()
    expect(admin.locator(".flash-success")).to_contain_text("Enabled: notes.")
    admin.goto(site.url(slug, "/"))
    admin.locator("nav.nav").get_by_role("link", name="Notes").click()
    expect(admin.get_by_role("heading", name="Notes", exact=True)).to_be_visible()

    admin.goto(site.url(slug, "/manage/audit/"))
    log = admin.locator("table")
    for action in ("invitation.accepted", "invitation.sent", "plugin.enabled"):
        expect(log.get_by_text(action, exact=True).first).to_be_visible()
    site.screenshot(admin, "tenant-audit-log")
    operator.goto(site.url(None, f"/admin/audit/?search={slug}"))
    expect(operator.locator("table").get_by_text("tenant.created", exact=True)).to_be_visible()
    watch.assert_clean()


def test_forgot_password_end_to_end(site, new_page, watch):
    email, old = site.make_user(site.DEMO, role="admin")
    page = new_page()
    page.goto(site.url(site.DEMO, "/login"))
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name="Send me a link").click()
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()

    message = site.mail.wait_for(email)
    assert message.subject == "Reset your password for Demo"
    page.goto(message.link("/password/reset/"))
    set_password(page, "a-new-one-from-mail")
    expect(page.locator(".account .who")).to_have_text(email)

    stale = new_page()
    stale.goto(message.link("/password/reset/"))  # works once
    expect(stale.locator("main")).to_contain_text("used already")
    site.log_in(new_page(), site.DEMO, (email, "a-new-one-from-mail"))

    page.goto(site.url(site.DEMO, "/manage/audit/"))
    log = page.locator("table")
    for action in ("user.password_reset_requested", "user.password_reset"):
        expect(log.get_by_text(action, exact=True).first).to_be_visible()
    assert old != "a-new-one-from-mail"
    watch.assert_clean()
