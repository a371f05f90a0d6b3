"""The usage charts: the platform dashboard charts every tenant and lists slow requests;
a tenant's /manage dashboard charts its own usage and nothing of any other tenant's;
both say so when there is nothing yet."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tenantry import db
from tenantry.instrument import instrument_of
from tenantry.tenancy.context import all_tenants
from tenantry.testing import do_login
from tenantry.usage import UsageDay


def record_usage(app, tenant, requests: int, errors: int = 0, table: str = "notes_note") -> None:
    today = datetime.now(UTC).date()
    with app.app_context(), all_tenants():
        for back in range(3):
            db.session.add(
                UsageDay(
                    tenant_id=tenant.id,
                    day=today - timedelta(days=back),
                    requests=requests,
                    errors=errors,
                    active_users=2,
                    rows={table: requests * 10},
                    storage_bytes=requests * 1000,
                )
            )
        db.session.commit()


def test_an_empty_platform_says_so(app, platform_client, make_operator, monkeypatch):
    recorder = instrument_of(app)
    monkeypatch.setattr(recorder, "slow", type(recorder.slow)(maxlen=10))  # a fresh process
    monkeypatch.setattr(recorder, "slow_s", None)  # a loaded test machine is no slow site
    do_login(platform_client, make_operator())
    page = platform_client.get("/admin/").get_data(as_text=True)
    assert 'data-testid="charts-empty"' in page
    assert 'data-testid="slow-empty"' in page


def test_the_platform_dashboard_charts_every_tenant(
    app, make_tenant, platform_client, make_operator
):
    acme, globex = make_tenant("acme", plugins=["notes"]), make_tenant("globex")
    record_usage(app, acme, 500, errors=5)
    record_usage(app, globex, 40)
    do_login(platform_client, make_operator())
    page = platform_client.get("/admin/").get_data(as_text=True)
    assert 'data-testid="charts"' in page
    assert "Busiest tenants" in page and "acme: 1.5k" in page and "globex: 120" in page
    assert "Error rate by tenant" in page and "acme: 1%" in page
    assert "Plugin adoption" in page and "notes: 1" in page


def test_a_tenant_admin_sees_only_its_own_usage(app, make_tenant, make_user, tenant_client):
    acme, globex = make_tenant("acme"), make_tenant("globex")
    record_usage(app, acme, 300, table="acme_only_table")
    record_usage(app, globex, 77777, table="globex_only_table")
    client = tenant_client(acme)
    do_login(client, make_user(acme, "ann@acme.test", role="admin"))
    page = client.get("/manage/").get_data(as_text=True)
    assert 'data-testid="charts"' in page
    assert "acme_only_table" in page and "300" in page
    assert "globex" not in page and "77777" not in page and "77.8k" not in page


def test_a_new_tenant_dashboard_says_so(app, make_tenant, make_user, tenant_client):
    acme = make_tenant("acme")
    client = tenant_client(acme)
    do_login(client, make_user(acme, "ann@acme.test", role="admin"))
    assert 'data-testid="charts-empty"' in client.get("/manage/").get_data(as_text=True)


def test_slow_requests_are_listed_with_their_route_and_request_id(
    app, make_tenant, tenant_client, platform_client, make_operator, monkeypatch
):
    acme = make_tenant("acme", plugins=["notes"])
    recorder = instrument_of(app)
    monkeypatch.setattr(recorder, "slow_s", 0.0)  # every request is slow for this test
    monkeypatch.setattr(recorder, "slow", type(recorder.slow)(maxlen=10))
    response = tenant_client(acme).get("/notes/")
    request_id = response.headers["X-Request-ID"]
    monkeypatch.setattr(recorder, "slow_s", None)
    do_login(platform_client, make_operator())
    page = platform_client.get("/admin/").get_data(as_text=True)
    assert 'data-testid="slow-requests"' in page
    assert request_id in page and "GET /notes/" in page, page[page.find("<h2>Slow") :]
