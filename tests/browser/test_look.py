"""Every page of the site and of both admins, looked at as a person would, at two widths.

A phone (390 px, in dark mode) and a laptop (1280 px, in light mode) open each page.
On each: no horizontal scrolling (tables scroll inside their own box), no console
error, no serious or critical accessibility violation found by axe-core, and a
screenshot in test-artifacts/screenshots/<surface>-<page>-<width>.png on every run.
The admins' pages are enumerated from the URL map, so a new admin view is looked at
without a change here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

pytestmark = pytest.mark.browser

DEMO = "demo"
WIDTHS = {390: "dark", 1280: "light"}
SERIOUS = {"serious", "critical"}
MARKDOWN = """\
A note with **every** kind of Markdown.

> Ship small, ship often.

| step | owner |
|------|-------|
| plan | ann   |
| ship | bob   |

Inline `code`, and a block:

    tenantry serve --reload

1. first
2. second
"""
AXE = Axe()


@dataclass(frozen=True)
class Visit:
    name: str
    path: str
    status: int = 200


def _admin_pages(site: Any, prefix: str) -> list[Visit]:
    """Each GET page of one admin without URL arguments (lists, create forms, pages)."""
    rules = sorted(
        rule.rule
        for rule in site.app.url_map.iter_rules()
        if rule.rule.startswith(prefix + "/")
        and "GET" in (rule.methods or ())
        and not rule.arguments
        and not any(
            skip in rule.rule for skip in ("/ajax/", "/export/", "/static", "/plugins/", "/data/")
        )
        and not rule.rule.endswith(("/edit/", "/details/", "/delete/", "/action/"))
    )
    return [Visit(_name(rule, prefix), rule) for rule in rules]


def _name(path: str, prefix: str = "") -> str:
    return re.sub(r"[^a-z0-9]+", "-", path.removeprefix(prefix).lower()).strip("-") or "home"


def _row_pages(page: Any, visit: Visit) -> list[Visit]:
    """The edit and details pages of the first row of a list page."""
    found = []
    for kind in ("edit", "details"):
        link = page.locator(f'a[href*="/{kind}/?id="]').first
        if link.count():
            href = link.get_attribute("href")
            found.append(Visit(f"{visit.name}-{kind}", href.replace("&amp;", "&")))
    return found


@pytest.fixture(scope="module")
def seeded(site: Any) -> dict[str, Any]:
    """A note in every Markdown style with tags, a task linked to it, a suspended site."""
    from tenantry.db import db
    from tenantry.tenancy import lifecycle
    from tenantry.tenancy.context import tenant_context
    from tenantry_notes import service as notes
    from tenantry_tasks import service as tasks

    with site.app.app_context():
        tenant = lifecycle.find(db.session, DEMO)
        with tenant_context(tenant):
            note = notes.create(
                {
                    "title": "Everything Markdown can do, with a long title that has to wrap",
                    "body": MARKDOWN,
                    "tags": ["planning", "q3", "a-rather-long-tag-name", "team", "ops"],
                },
                None,
            )
            tasks.create("Send the summary", note_id=note.id)
            db.session.commit()
            note_id = note.id
    suspended = site.unique("paused")
    site.make_tenant(suspended)
    with site.app.app_context():
        lifecycle.set_status(db.session, lifecycle.find(db.session, suspended), "suspended")
        db.session.commit()
    return {"note": note_id, "suspended": suspended}


def _problems(page: Any, response: Any, visit: Visit, width: int, errors: list[str]) -> list[str]:
    found = []
    status = response.status if response else 0
    if status != visit.status:
        found.append(f"answered {status}, expected {visit.status}")
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    if overflow > 0:
        wide = page.evaluate(
            """() => [...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > innerWidth + 1)
                .slice(0, 3).map(e => e.tagName.toLowerCase() + '.' + e.className)"""
        )
        found.append(f"scrolls sideways by {overflow}px at {width}px: {wide}")
    found += [f"console: {message}" for message in errors]
    violations = AXE.run(page).response["violations"]
    for violation in violations:
        if violation["impact"] in SERIOUS:
            targets = [node["target"] for node in violation["nodes"][:3]]
            found.append(f"axe {violation['id']} ({violation['impact']}): {targets}")
    return found


def _look(page: Any, site: Any, host: str | None, visits: list[Visit], surface: str, width: int):
    """Visit each page (and the first row's edit/details of each list); return the problems."""
    errors: list[str] = []
    page.on(
        "console",
        lambda m: m.type == "error" and "status of 4" not in m.text and errors.append(m.text),
    )
    page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    problems: list[str] = []
    queue = list(visits)
    seen: set[str] = set()
    while queue:
        visit = queue.pop(0)
        if visit.path in seen:
            continue
        seen.add(visit.path)
        errors.clear()
        response = page.goto(site.url(host, visit.path))
        page.wait_for_load_state("load")
        site.screenshot(page, f"{surface}-{visit.name}-{width}")
        problems += [
            f"{surface} {visit.path}: {p}" for p in _problems(page, response, visit, width, errors)
        ]
        if surface != "site" and visit.path.endswith("/") and "/new/" not in visit.path:
            queue += _row_pages(page, visit)
    return problems


@pytest.fixture(params=sorted(WIDTHS), ids=lambda w: f"{w}px")
def sized_page(request: pytest.FixtureRequest, browser: Any) -> Any:
    width = request.param
    context = browser.new_context(
        viewport={"width": width, "height": 844 if width < 600 else 900},
        color_scheme=WIDTHS[width],
        device_scale_factor=1,
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.width = width
    yield page
    context.close()


def test_the_tenant_site_looks_right(site, seeded, sized_page):
    page, width = sized_page, sized_page.width
    note = seeded["note"]
    anonymous = [
        Visit("tenant-home-anonymous", "/"),
        Visit("tenant-login", "/login"),
        Visit("tenant-api-reference", "/api/"),
    ]
    problems = _look(page, site, DEMO, anonymous, "site", width)
    site.log_in(page, DEMO, site.make_user(DEMO))
    member = [
        Visit("tenant-home", "/"),
        Visit("notes", "/notes/"),
        Visit("note", f"/notes/{note}"),
        Visit("note-new", "/notes/new"),
        Visit("note-edit", f"/notes/{note}/edit"),
        Visit("tasks", "/tasks/"),
        Visit("tokens", "/account/tokens"),
        Visit("api-reference", "/api/"),
        Visit("not-found", "/no-such-page", 404),
    ]
    problems += _look(page, site, DEMO, member, "site", width)
    platform = [Visit("landing", "/"), Visit("platform-login", "/login")]
    problems += _look(page, site, None, platform, "site", width)
    missing = [Visit("unknown-site", "/", 404)]
    problems += _look(page, site, "nosuchsite", missing, "site", width)
    suspended = [Visit("suspended-site", "/", 403)]
    problems += _look(page, site, seeded["suspended"], suspended, "site", width)
    assert not problems, "\n".join(problems)


def test_the_tenant_admin_looks_right(site, seeded, sized_page):
    page, width = sized_page, sized_page.width
    site.log_in(page, DEMO, site.make_user(DEMO, role="admin"))
    visits = _admin_pages(site, "/manage")
    assert len(visits) >= 8, visits
    problems = _look(page, site, DEMO, visits, "manage", width)
    assert not problems, "\n".join(problems)


def test_the_platform_admin_looks_right(site, seeded, sized_page):
    page, width = sized_page, sized_page.width
    site.log_in(page, None, site.make_operator())
    visits = [
        *_admin_pages(site, "/admin"),
        Visit("tenant-plugins", "/admin/tenants/plugins/?id=1"),
        Visit("tenant-data", "/admin/tenants/data/?id=1"),
        Visit("tenant-delete", "/admin/tenants/delete/?id=1"),
    ]
    assert len(visits) >= 10, visits
    problems = _look(page, site, None, visits, "admin", width)
    assert not problems, "\n".join(problems)
