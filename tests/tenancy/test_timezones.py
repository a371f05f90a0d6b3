"""A tenant's time zone: validated against the zone database, used on its pages."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tenantry.errors import ValidationFailed
from tenantry.tenancy import timezones
from tenantry.tenancy.context import TenantRef, tenant_context


def test_a_known_zone_is_accepted_and_an_unknown_one_refused_by_field():
    assert timezones.validate(" Europe/Berlin ") == "Europe/Berlin"
    with pytest.raises(ValidationFailed) as refused:
        timezones.validate("Mars/Olympus")
    assert "not a known time zone" in refused.value.errors["timezone"]


def test_a_moment_reads_in_the_tenants_zone_to_the_minute():
    moment = datetime(2026, 1, 15, 9, 30, 12, 123456, tzinfo=UTC)
    with tenant_context(TenantRef(1, "acme", "Acme", timezone="Europe/Berlin")):
        shown = str(timezones.when(moment))
    assert ">Jan 15, 2026, 10:30\u202fAM</time>" in shown  # English, as CLDR writes it
    assert 'datetime="2026-01-15T09:30:12+00:00"' in shown
    assert "123456" not in shown


def test_outside_a_tenant_a_moment_reads_in_utc():
    moment = datetime(2026, 7, 1, 23, 5, tzinfo=UTC)
    assert ">Jul 1, 2026, 11:05\u202fPM UTC</time>" in str(timezones.when(moment))


def test_the_tenants_zone_is_set_through_lifecycle_and_shown_on_its_pages(
    app, make_tenant, make_user, tenant_client, login
):
    from tenantry.db import db
    from tenantry.tenancy import lifecycle

    acme = make_tenant("acme", plugins=["notes"])
    client = tenant_client(acme)
    login(client, make_user(acme))
    client.post(
        "/notes/new",
        data={"title": "When", "body": "", "tags": "", "csrf_token": _token(client)},
    )
    with app.app_context():
        tenant = lifecycle.find(db.session, "acme")
        with pytest.raises(ValidationFailed):
            lifecycle.set_timezone(db.session, tenant, "Nowhere/Special")
        db.session.rollback()
        lifecycle.set_timezone(db.session, lifecycle.find(db.session, "acme"), "Asia/Kolkata")
        db.session.commit()
    body = client.get("/notes/").get_data(as_text=True)
    assert "<time datetime=" in body and " UTC</time>" not in body


def _token(client):
    from tenantry.testing import csrf_token

    return csrf_token(client, "/notes/new")
