"""The usage charts in Chromium: the platform dashboard and a tenant's /manage dashboard
draw their SVG charts at 390 px (dark) and 1280 px (light) without horizontal scrolling
or console errors; screenshots in test-artifacts/screenshots/dashboard-*.png."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from tenantry.db import db
from tenantry.tenancy import lifecycle
from tenantry.tenancy.context import all_tenants
from tenantry.usage import UsageDay

pytestmark = pytest.mark.browser

WIDTHS = {390: "dark", 1280: "light"}


@pytest.fixture(scope="module")
def usage(site: Any) -> None:
    """30 days of usage for the demo tenant and the other one, written once."""
    today = datetime.now(UTC).date()
    with site.app.app_context(), all_tenants():
        for slug, scale in ((site.DEMO, 40), (site.OTHER, 7)):
            tenant = lifecycle.find(db.session, slug)
            for back in range(30):
                day = today - timedelta(days=back)
                if db.session.get(UsageDay, (tenant.id, day)) is None:
                    db.session.add(
                        UsageDay(
                            tenant_id=tenant.id,
                            day=day,
                            requests=scale * (30 + back % 7 * 9),
                            errors=back % 5,
                            active_users=1 + back % 4,
                            rows={"notes_note": scale * 3, "tenantry_user": 4},
                            storage_bytes=scale * 20_000,
                        )
                    )
        db.session.commit()


def look(page: Any, site: Any, width: int, name: str, console: list[str]) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    page.emulate_media(color_scheme=WIDTHS[width])
    page.reload()
    charts = page.get_by_test_id("charts")
    expect(charts).to_be_visible()
    assert charts.locator("figure svg").count() >= 2
    scroll = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert scroll <= 0, f"{name} at {width} px scrolls sideways by {scroll} px"
    site.screenshot(page, f"dashboard-{name}-{width}")
    errors = [m for m in console if m.startswith(("error", "pageerror"))]
    assert not errors, errors


def test_the_platform_dashboard_draws_its_charts(site, usage, new_page, watch):
    page = new_page()
    site.log_in(page, None, site.make_operator())
    page.goto(site.url(None, "/admin/"))
    for width in WIDTHS:
        look(page, site, width, "platform", watch.console)
    expect(page.get_by_test_id("charts")).to_contain_text("Busiest tenants")
    watch.assert_clean()


def test_a_tenant_dashboard_draws_only_its_own_usage(site, usage, new_page, watch):
    page = new_page()
    site.log_in(page, site.DEMO, site.make_user(site.DEMO, role="admin"))
    page.goto(site.url(site.DEMO, "/manage/"))
    for width in WIDTHS:
        look(page, site, width, "tenant", watch.console)
    charts = page.get_by_test_id("charts")
    expect(charts).to_contain_text("Active users per day")
    expect(charts).not_to_contain_text(site.OTHER)
    watch.assert_clean()
