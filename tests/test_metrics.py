"""Prometheus metrics: counters move per request (by status class, route group and opted-in
tenant), DB round trips are counted per request, failures of plugins, sign-ins and the
cache are counted, and /metrics answers only on the root host to allowed clients."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from blinker import Namespace
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import Markup
from prometheus_client.parser import text_string_to_metric_families

from tenantry import cache, db, tenant_context
from tenantry.instrument import instrument_of
from tenantry.plugins.contract import Slot
from tenantry.plugins.runtime import EXTENSION as PLUGINS
from tenantry.plugins.runtime import _connect_gated as connect_gated
from tenantry.plugins.runtime import render_slot
from tenantry.tenancy import lifecycle
from tenantry.testing import ROOT, build_app, client_for, settings_for_test

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(client: FlaskClient) -> Samples:
    """Every sample /metrics shows, by name and labels."""
    response = client.get("/metrics")
    assert response.status_code == 200, response.get_data(as_text=True)
    text = response.get_data(as_text=True)
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def moved(client: FlaskClient, action: Callable[[], object], name: str, **labels: str) -> float:
    """How far the sample moved while ``action`` ran."""
    before = value(scrape(client), name, **labels)
    action()
    return value(scrape(client), name, **labels) - before


def test_each_request_counts_once_by_status_class_and_route_group(
    app, make_tenant, tenant_client, platform_client
):
    acme = make_tenant("acme", plugins=["notes"])
    client = tenant_client(acme)

    def visit() -> None:
        assert client.get("/notes/").status_code in (200, 302)
        assert client.get("/no-such-page").status_code == 404

    before = scrape(platform_client)
    visit()
    after = scrape(platform_client)
    for labels in ({"status": "4xx", "group": "unmatched"},):
        assert (
            value(after, "tenantry_requests_total", **labels)
            - value(before, "tenantry_requests_total", **labels)
            == 1
        )
    notes = sum(
        value(after, "tenantry_requests_total", status=s, group="notes")
        - value(before, "tenantry_requests_total", status=s, group="notes")
        for s in ("2xx", "3xx")
    )
    assert notes == 1
    # No tenant is listed in metrics_tenants: no per-tenant series at all, acme's included.
    assert not any(("tenant", "acme") in labels for _name, labels in after)


def test_db_round_trips_and_time_are_counted_by_route_group(app, make_tenant, tenant_client):
    acme = make_tenant("acme", plugins=["notes"])
    client = tenant_client(acme)
    root = client_for(app, ROOT)
    before = scrape(root)
    client.get("/notes/")
    after = scrape(root)
    queries = value(after, "tenantry_db_queries_total", group="notes") - value(
        before, "tenantry_db_queries_total", group="notes"
    )
    assert queries >= 1  # the tenant page read the tenant's status and its notes
    db_time = value(after, "tenantry_db_seconds_total", group="notes") - value(
        before, "tenantry_db_seconds_total", group="notes"
    )
    assert db_time > 0


def test_metrics_do_not_exist_on_a_tenant_host(app, make_tenant, tenant_client):
    acme = make_tenant("acme")
    assert tenant_client(acme).get("/metrics").status_code == 404


def test_metrics_are_refused_to_an_unlisted_address(app):
    stranger = client_for(app, ROOT)
    stranger.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    response = stranger.get("/metrics")
    assert response.status_code == 403
    assert "tenantry_requests" not in response.get_data(as_text=True)


@pytest.fixture
def tuned_app(tmp_path) -> Callable[..., Flask]:
    """A SQLite app with metrics settings of the test's choosing."""
    return lambda **overrides: build_app(settings_for_test(tmp_path, "sqlite", **overrides))


def test_a_bearer_token_opens_metrics_from_anywhere_and_a_wrong_one_does_not(tuned_app):
    app = tuned_app(metrics_token="s3cret-for-prometheus", metrics_allowed_addresses=[])
    client = client_for(app, ROOT)
    client.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    assert client.get("/metrics").status_code == 403
    wrong = client.get("/metrics", headers={"Authorization": "Bearer guess"})
    assert wrong.status_code == 403
    right = client.get("/metrics", headers={"Authorization": "Bearer s3cret-for-prometheus"})
    assert right.status_code == 200
    assert "tenantry_requests_total" in right.get_data(as_text=True)


def test_listed_tenants_get_their_own_label(tuned_app):
    app = tuned_app(metrics_tenants=["acme"])
    with app.app_context():
        for slug in ("acme", "globex"):
            lifecycle.create(db.session, slug, slug.title())
        db.session.commit()
    root = client_for(app, ROOT)
    acme, globex = client_for(app, f"acme.{ROOT}"), client_for(app, f"globex.{ROOT}")
    assert (
        moved(
            root,
            lambda: acme.get("/nothing"),
            "tenantry_tenant_requests_total",
            tenant="acme",
            status="4xx",
        )
        == 1
    )
    assert (
        moved(
            root,
            lambda: globex.get("/nothing"),
            "tenantry_tenant_requests_total",
            tenant="other",
            status="4xx",
        )
        == 1
    )


def test_metrics_off_means_no_endpoint_and_no_recorder(tuned_app):
    app = tuned_app(metrics_enabled=False)
    assert instrument_of(app) is None
    assert client_for(app, ROOT).get("/metrics").status_code == 404


def test_a_failing_slot_is_counted_for_its_plugin(app, make_tenant, monkeypatch):
    acme = make_tenant("acme", plugins=["notes"])

    def boom(**_context: object) -> Markup:
        raise RuntimeError("slot broke")

    fills = [(0, 0, "notes", Slot(boom))]
    monkeypatch.setitem(app.extensions[PLUGINS].slots, "metrics.test", fills)
    root = client_for(app, ROOT)

    def render() -> None:
        with app.test_request_context(base_url=f"http://acme.{ROOT}/"), tenant_context(acme):
            assert render_slot("metrics.test") == ""

    assert moved(root, render, "tenantry_plugin_failures_total", plugin="notes", kind="slot") == 1


def test_wrong_passwords_and_cache_reads_are_counted(
    app, make_tenant, make_user, tenant_client, login
):
    acme = make_tenant("acme")
    email, _password = make_user(acme)
    root = client_for(app, ROOT)
    client = tenant_client(acme)
    assert (
        moved(root, lambda: login(client, (email, "wrong")), "tenantry_login_failures_total") == 1
    )

    def read_twice() -> None:
        with app.app_context(), tenant_context(acme):
            cache.get_or_set("metrics-test", "k", 60, lambda: 1)
            cache.get_or_set("metrics-test", "k", 60, lambda: 1)

    before = scrape(root)
    read_twice()
    after = scrape(root)
    for result in ("hit", "miss"):
        name = "tenantry_cache_reads_total"
        assert value(after, name, result=result) - value(before, name, result=result) == 1


def test_a_failing_receiver_is_counted_for_its_plugin_and_still_raises(app, make_tenant):
    acme = make_tenant("acme", plugins=["notes"])
    happened = Namespace().signal("metrics-test")  # a signal of this test's own

    def broken(_sender: object, **_kwargs: object) -> None:
        raise RuntimeError("receiver broke")

    connect_gated(happened, "notes", broken)

    def send() -> None:
        with app.app_context(), pytest.raises(RuntimeError, match="receiver broke"):
            happened.send(acme)

    root = client_for(app, ROOT)
    labels = {"plugin": "notes", "kind": "receiver"}
    assert moved(root, send, "tenantry_plugin_failures_total", **labels) == 1
