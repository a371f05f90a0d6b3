"""The two Flask-Admin sites in a real browser: /manage/ (tenant admins), /admin/ (operators).

Every test here also fails on a Content Security Policy violation in the console:
the admin's JavaScript must run under the app's CSP.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

DEMO = "demo"


def test_member_is_refused_the_tenant_admin(site, page, watch):
    site.log_in(page, DEMO, site.make_user(DEMO, role="member"))
    expect(page.locator(".account").get_by_role("link", name="Admin")).to_have_count(0)

    response = page.goto(site.url(DEMO, "/manage/"))
    assert response.status == 403
    expect(page.locator("main")).to_contain_text("This area is for administrators only.")
    watch.assert_clean()


def test_tenant_admin_creates_a_user_through_the_admin_form(site, new_page, watch):
    page = new_page()
    site.log_in(page, DEMO, site.make_user(DEMO, role="admin"))
    page.locator(".account").get_by_role("link", name="Admin").click()
    expect(page).to_have_url(site.url(DEMO, "/manage/"))
    expect(page.get_by_role("heading", name="Demo — administration")).to_be_visible()
    navbar = page.get_by_role("navigation", name="Administration")
    expect(navbar.get_by_role("link", name="Users", exact=True)).to_be_visible()
    expect(navbar.get_by_role("link", name="Notes", exact=True)).to_be_visible()

    navbar.get_by_role("link", name="Users", exact=True).click()
    page.get_by_role("link", name="Create", exact=True).click()
    email = f"{site.unique('colleague')}@demo.test"
    page.locator("#email").fill(email)
    page.locator("#name").fill("New Colleague")
    page.locator("#role").select_option("member")
    page.locator("#password").fill("a-long-enough-password")
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.locator(".flash-success")).to_have_text(f"User {email} created.")
    expect(page.get_by_role("cell", name=email, exact=True)).to_be_visible()
    watch.assert_clean()

    newcomer = new_page()  # the account works: its owner can log in
    site.log_in(newcomer, DEMO, (email, "a-long-enough-password"))


def test_operator_creates_a_tenant_and_enables_tasks(site, new_page, watch):
    page = new_page()
    site.log_in(page, None, site.make_operator())
    page.get_by_role("link", name="Platform admin", exact=True).click()
    expect(page.get_by_role("heading", name="Platform overview")).to_be_visible()
    expect(page.get_by_test_id("tenants-active")).to_have_text(str(site.active_tenants()))
    site.screenshot(page, "platform-admin-dashboard")

    menu = page.get_by_role("navigation", name="Administration")
    menu.get_by_role("link", name="Tenants", exact=True).click()
    page.get_by_role("link", name="Create", exact=True).click()
    slug = site.unique("acme")
    page.locator("#slug").fill(slug)
    page.locator("#name").fill("Acme Widgets")
    page.locator("#status").select_option("active")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".flash-success")).to_have_text(f"Tenant {slug} created.")

    page.get_by_role("link", name=slug, exact=True).click()  # the slug links to its plugins
    expect(page.get_by_role("heading", name="Plugins of Acme Widgets")).to_be_visible()
    tasks, notes = page.locator('[data-plugin="tasks"]'), page.locator('[data-plugin="notes"]')
    tasks.get_by_role("button", name="Enable").click()
    expect(page.locator(".flash-success")).to_contain_text("Enabled: notes, tasks.")
    expect(tasks.locator(".badge", has_text="enabled")).to_be_visible()
    expect(notes.locator(".badge", has_text="enabled")).to_be_visible()
    site.screenshot(page, "tenant-plugins")
    watch.assert_clean()

    member = new_page()
    site.log_in(member, slug, site.make_user(slug))
    member.get_by_role("link", name="Tasks", exact=True).click()
    expect(member.get_by_role("heading", name="Tasks", exact=True)).to_be_visible()
    # tasks' on_enable hook left a first task for the new tenant
    expect(member.get_by_test_id("tasks")).to_contain_text("Link a task to a note")
    watch.assert_clean()


def test_delete_in_the_tenant_admin_asks_first(site, page, watch):
    site.log_in(page, DEMO, site.make_user(DEMO, role="admin"))
    doomed, _ = site.make_user(DEMO)
    page.goto(site.url(DEMO, "/manage/users/"))
    row = page.get_by_role("row").filter(has=page.get_by_role("cell", name=doomed, exact=True))
    questions: list[str] = []

    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    row.get_by_title("Delete Record").click()
    expect(row).to_be_visible()  # dismissed: nothing was sent
    assert questions == ["Are you sure you want to delete this record?"]

    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_title("Delete Record").click()
    expect(page.locator(".flash-success")).to_have_text(f"User {doomed} deleted.")
    expect(row).to_have_count(0)
    watch.assert_clean()


def test_operator_suspends_a_tenant_with_a_bulk_action(site, new_page, watch):
    slug = site.unique("paused")
    site.make_tenant(slug)
    page = new_page()
    site.log_in(page, None, site.make_operator())
    page.goto(site.url(None, "/admin/tenants/"))
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=slug, exact=True))
    row.locator("input.action-checkbox").check()
    page.get_by_role("button", name="With selected").click()
    page.once("dialog", lambda dialog: dialog.accept())  # "Suspend the selected tenants? ..."
    page.get_by_role("link", name="Suspend", exact=True).click()

    expect(page.locator(".flash-success")).to_contain_text("1 tenant(s) suspended.")
    expect(row.get_by_role("cell", name="suspended", exact=True)).to_be_visible()
    watch.assert_clean()
    visitor = new_page()
    assert visitor.goto(site.url(slug, "/")).status == 403
    expect(visitor.locator("main")).to_contain_text("is suspended")
