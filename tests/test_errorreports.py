"""Sentry error reports (optional, off by default): events carry the tenant and the request
id, and leave without credentials, cookies, bodies or the user."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sentry_sdk
from sentry_sdk.transport import Transport

from tenantry import db, errorreports
from tenantry.settings import SettingsError
from tenantry.tenancy import lifecycle
from tenantry.testing import ROOT, build_app, client_for, settings_for_test

DSN = "https://public@sentry.example.invalid/1"


class Caught(Transport):
    """A transport that keeps the events instead of sending them."""

    def __init__(self, options=None):
        super().__init__(options)
        self.events: list[dict] = []

    def capture_envelope(self, envelope) -> None:
        self.events += [item.payload.json for item in envelope.items if item.type == "event"]


@pytest.fixture
def reported(tmp_path) -> Iterator[tuple]:
    settings = settings_for_test(tmp_path, "sqlite", sentry_dsn=DSN)
    app = build_app(settings)

    @app.get("/boom")
    def boom():
        raise RuntimeError("kaboom")

    caught = Caught()
    errorreports.init(settings, frozenset(), transport=caught)
    with app.app_context():
        lifecycle.create(db.session, "acme", "Acme")
        db.session.commit()
    yield app, caught
    sentry_sdk.get_client().close()
    sentry_sdk.init()  # reporting off again for the rest of the suite


def test_an_error_is_reported_tagged_and_scrubbed(reported):
    app, caught = reported
    client = client_for(app, f"acme.{ROOT}")
    client.set_cookie("tenantry_session", "secret-cookie", domain=f"acme.{ROOT}")
    response = client.get("/boom?email=ann@acme.test", headers={"Authorization": "Bearer tok"})
    assert response.status_code == 500
    sentry_sdk.flush()
    [event] = caught.events
    assert event["tags"]["tenant"] == "acme"
    assert event["tags"]["request_id"] == response.headers["X-Request-ID"]
    text = str(event)
    assert "kaboom" in text
    for secret in ("secret-cookie", "Bearer tok", "ann@acme.test"):
        assert secret not in text
    assert "user" not in event


def test_a_dsn_without_the_sdk_is_a_one_line_startup_error(tmp_path, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def without_sentry(name, *args, **kwargs):
        if name.startswith("sentry_sdk"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", without_sentry)
    settings = settings_for_test(tmp_path, "sqlite", sentry_dsn=DSN)
    with pytest.raises(SettingsError, match=r"pip install 'tenantry\[sentry\]'"):
        errorreports.init(settings, frozenset())


def test_reporting_is_off_without_a_dsn(tmp_path):
    assert errorreports.init(settings_for_test(tmp_path, "sqlite"), frozenset()) is False
