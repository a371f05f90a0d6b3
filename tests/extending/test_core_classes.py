"""Core classes by setting: the example of docs/extending.md, on both databases."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask, request

from tenantry.settings import SettingsError, load_settings
from tenantry.testing import app_like, client_for, dispose


@pytest.fixture
def site_app(app: Flask, example: Callable[[str], Any]) -> Iterator[Callable[..., Flask]]:
    """``site_app(**settings)``: an app on the test database with the example's classes,
    plus a page that shows what ``request.wants_json`` answered."""
    example("core-classes")
    example("core-classes-app")
    built: list[Flask] = []

    def build(**settings: Any) -> Flask:
        site = app_like(app, **settings)

        @site.get("/_wants")
        def wants() -> str:
            return "json" if request.wants_json else "html"  # type: ignore[attr-defined]

        built.append(site)
        return site

    yield build
    for site in built:
        dispose(site)


@pytest.fixture(params=["request and response classes", "app class"])
def settings(request: pytest.FixtureRequest, example: Callable[[str], Any]) -> dict[str, Any]:
    if request.param == "app class":
        return {"app_class": "mysite.app:SiteApp"}
    return example("core-classes-settings")


def test_every_response_carries_the_examples_header(site_app, settings, make_tenant) -> None:
    make_tenant("acme", "Acme")
    site = site_app(**settings)
    page = client_for(site, "acme.localhost").get("/")
    missing = client_for(site, "acme.localhost").get("/no-such-page")
    static = client_for(site, "acme.localhost").get("/static/tenantry.css")
    assert (page.status_code, missing.status_code, static.status_code) == (200, 404, 200)
    assert "Acme" in page.get_data(as_text=True)
    for response in (page, missing, static):
        assert response.headers["X-Robots-Tag"] == "noindex"


def test_views_read_the_examples_request_property(site_app, settings) -> None:
    client = client_for(site_app(**settings), "localhost")
    assert client.get("/_wants", headers={"Accept": "application/json"}).text == "json"
    assert client.get("/_wants", headers={"Accept": "text/html,*/*;q=0.8"}).text == "html"


def test_without_the_settings_flasks_own_classes_answer(app, make_tenant) -> None:
    make_tenant("acme", "Acme")
    response = client_for(app, "acme.localhost").get("/")
    assert response.status_code == 200
    assert "X-Robots-Tag" not in response.headers


@pytest.mark.parametrize(
    ("setting", "path", "reason"),
    [
        ("request_class", "mysite.web:SiteResponse", "is not a subclass of flask.Request"),
        ("response_class", "mysite.web:SiteRequest", "is not a subclass of flask.Response"),
        ("app_class", "mysite.web:SiteRequest", "is not a subclass of flask.Flask"),
        ("app_class", "mysite.nowhere:App", "cannot import 'mysite.nowhere'"),
        ("request_class", "mysite.web:Missing", "module 'mysite.web' has no 'Missing'"),
        ("response_class", "SiteResponse", "is not an import path"),
    ],
)
def test_a_wrong_class_stops_the_start_with_one_line(example, setting, path, reason) -> None:
    example("core-classes")
    with pytest.raises(SettingsError) as refused:
        load_settings(env="test", secret_key="x" * 32, **{setting: path})
    lines = str(refused.value).splitlines()
    assert lines[0] == "invalid settings:"
    assert len(lines) == 2
    assert lines[1].startswith(f"  {setting} = {path!r} (from keyword argument): ")
    assert reason in lines[1]
