"""What a tenant's people do on its host: log in, write notes, manage tasks, use the API."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

DEMO, OTHER = "demo", "other"


def test_member_logs_in_through_the_form(site, page, watch):
    email, password = site.make_user(DEMO)
    page.goto(site.url(DEMO, "/"))
    page.locator(".account").get_by_role("link", name="Log in").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()

    expect(page).to_have_url(site.url(DEMO, "/"))
    expect(page.locator(".account .who")).to_have_text(email)
    expect(page.get_by_test_id("recent-notes")).to_be_visible()
    watch.assert_clean()


def test_wrong_password_is_refused(site, page, watch):
    email, _ = site.make_user(DEMO)
    page.goto(site.url(DEMO, "/login"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("status")).to_have_text("Wrong email or password.")
    expect(page.locator(".account .who")).to_have_count(0)
    watch.assert_clean()


def test_note_written_in_markdown_is_rendered_and_on_the_dashboard(site, page, watch):
    site.log_in(page, DEMO, site.make_user(DEMO))
    page.get_by_role("link", name="Notes", exact=True).click()
    page.get_by_role("link", name="New note").click()
    title = site.unique("Quarterly plan ")
    page.get_by_label("Title").fill(title)
    page.get_by_label("Body").fill("Ship **bold** ideas.\n\n- first\n- *second*")
    page.get_by_label("Tags").fill("Planning, q3")
    page.get_by_role("button", name="Create note").click()

    expect(page.get_by_role("status")).to_have_text("Note created.")
    expect(page.get_by_test_id("note-title")).to_have_text(title)
    prose = page.locator(".prose")
    expect(prose.locator("strong")).to_have_text("bold")
    expect(prose.locator("li em")).to_have_text("second")
    expect(prose).not_to_contain_text("**")
    expect(page.locator("article a.tag")).to_have_text(["planning", "q3"])
    site.screenshot(page, "note-rendered")

    page.locator(".brand").click()  # the tenant's home: its dashboard
    recent = page.get_by_test_id("recent-notes")
    expect(recent.get_by_role("heading", name="Recent notes")).to_be_visible()
    expect(recent.get_by_role("link", name=title)).to_be_visible()
    site.screenshot(page, "dashboard-recent-notes")
    watch.assert_clean()


def test_task_linked_to_a_note_is_ticked_off_and_shown_on_the_note(site, page, watch):
    note_title = site.unique("Launch checklist ")
    note_id = site.make_note(DEMO, note_title, "Everything before launch day.")
    site.log_in(page, DEMO, site.make_user(DEMO))
    page.get_by_role("link", name="Tasks", exact=True).click()
    task = site.unique("Email the customers ")
    page.get_by_label("Task", exact=True).fill(task)
    page.get_by_role("combobox", name=re.compile("^Note")).select_option(label=note_title)
    page.get_by_role("button", name="Add task").click()

    expect(page.get_by_role("status")).to_have_text("Task added.")
    row = page.get_by_test_id("tasks").locator("tbody tr", has_text=task)
    expect(row.get_by_role("link", name=note_title)).to_be_visible()
    row.get_by_role("button", name=f"Complete {task}").click()
    expect(row.locator("del")).to_have_text(task)
    expect(row.get_by_role("button", name=f"Reopen {task}")).to_be_visible()
    site.screenshot(page, "tasks-list")

    row.get_by_role("link", name=note_title).click()
    expect(page).to_have_url(site.url(DEMO, f"/notes/{note_id}"))
    expect(page.get_by_test_id("note-tasks").locator("del")).to_have_text(task)
    watch.assert_clean()


def test_a_note_id_is_not_found_on_another_tenants_host(site, new_page, watch):
    note_id = site.make_note(DEMO, "Demo's secret plan", "Only for demo.")
    path = f"/notes/{note_id}"
    owner = new_page()
    site.log_in(owner, DEMO, site.make_user(DEMO))
    assert owner.goto(site.url(DEMO, path)).status == 200  # the id is real on its own host

    stranger = new_page()
    site.log_in(stranger, OTHER, site.make_user(OTHER))
    response = stranger.goto(site.url(OTHER, path))
    assert response.status == 404
    expect(stranger.locator("main")).to_contain_text("There is no such note.")
    expect(stranger.locator("body")).not_to_contain_text("secret plan")
    watch.assert_clean()


def test_log_out_ends_the_session(site, page, watch):
    site.log_in(page, DEMO, site.make_user(DEMO))
    page.get_by_role("button", name="Log out").click()

    expect(page).to_have_url(site.url(DEMO, "/login"))
    expect(page.get_by_role("status")).to_have_text("You are logged out.")
    expect(page.locator(".account .who")).to_have_count(0)
    page.goto(site.url(DEMO, "/notes/"))
    expect(page).to_have_url(re.compile(r"/login\?next=/notes/$"))
    watch.assert_clean()


def test_api_token_is_shown_once_and_works_only_on_its_host(site, page, watch, request_context):
    site.log_in(page, DEMO, site.make_user(DEMO))
    page.get_by_role("link", name="API tokens").click()
    page.get_by_label("Token name").fill("laptop")
    page.get_by_role("button", name="Create token").click()
    secret = page.get_by_test_id("new-token").inner_text().strip()
    assert len(secret) >= 20
    expect(page.get_by_role("cell", name="laptop", exact=True)).to_be_visible()

    page.goto(site.url(DEMO, "/account/tokens"))  # shown once: not on the next visit
    expect(page.get_by_role("cell", name="laptop", exact=True)).to_be_visible()
    expect(page.get_by_test_id("new-token")).to_have_count(0)
    assert secret not in page.content()

    # A client without cookies: only the Authorization header can authenticate it.
    bearer = {"Authorization": f"Bearer {secret}"}
    url, host = site.direct(DEMO, "/notes/api/notes")
    mine = request_context.get(url, headers={**host, **bearer})
    assert mine.status == 200, mine.text()
    assert "items" in mine.json()
    url, host = site.direct(OTHER, "/notes/api/notes")
    elsewhere = request_context.get(url, headers={**host, **bearer})
    assert elsewhere.status == 401, elsewhere.text()
    assert request_context.get(url, headers=host).status == 401  # no token: same answer
    watch.assert_clean()
