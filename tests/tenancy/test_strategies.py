"""Tenant resolution strategies: host, header (trusted proxies only), path (/t/<slug>/),
a deployment's own; two that disagree answer 400."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask, url_for
from sqlalchemy import select

from tenantry import db, jobs, tenant_context
from tenantry.links import site_url
from tenantry.settings import SettingsError, load_settings
from tenantry.testing import (
    STRATEGY_SETTINGS,
    app_like,
    client_for,
    client_via,
    csrf_token,
    dispose,
    do_login,
)
from tenantry_notes import service as notes
from tenantry_notes.models import Note

HEADER = STRATEGY_SETTINGS["header"]
PATH = STRATEGY_SETTINGS["path"]


@pytest.fixture
def other_app(app: Flask) -> Iterator:
    """``other_app(**settings)``: the test database under other settings."""
    built: list[Flask] = []

    def build(**settings) -> Flask:
        built.append(app_like(app, **settings))
        return built[-1]

    yield build
    for other in built:
        dispose(other)


@pytest.fixture
def tenants(make_tenant, make_user):
    acme, bravo = make_tenant("acme", "Acme", plugins=["notes"]), make_tenant("bravo", "Bravo")
    return acme, make_user(acme), bravo


def test_each_strategy_reaches_its_tenant_and_only_it(strategy_client, tenants) -> None:
    acme, _, bravo = tenants
    page = strategy_client(acme).get("/")
    assert page.status_code == 200
    assert "Acme" in page.text and "Bravo" not in page.text
    assert "Bravo" in strategy_client(bravo).get("/").text


# -- header --------------------------------------------------------------------------------


def test_the_header_from_an_untrusted_address_is_ignored(other_app, tenants) -> None:
    client = client_via(other_app(**HEADER), "acme", "header")
    response = client.get("/", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert response.status_code == 200  # the root host's own page, the platform's
    assert "Acme" not in response.text


def test_without_the_header_strategy_the_header_means_nothing(app, tenants) -> None:
    response = client_for(app, "localhost").get("/", headers={"X-Tenant": "acme"})
    assert response.status_code == 200
    assert "Acme" not in response.text


def test_a_header_naming_no_tenant_is_404_and_a_malformed_one_400(other_app, tenants) -> None:
    site = other_app(**HEADER)
    assert client_via(site, "nobody", "header").get("/").status_code == 404
    refused = client_via(site, "not a slug!", "header").get("/")
    assert refused.status_code == 400
    assert "The X-Tenant header is not a valid name of a site." in refused.text


def test_the_header_strategy_needs_a_trusted_proxy() -> None:
    with pytest.raises(SettingsError, match="believes the header from trusted proxies only"):
        load_settings(env="test", tenant_resolvers=["header"])


# -- path ----------------------------------------------------------------------------------


def test_under_the_path_links_static_files_and_redirects_keep_the_prefix(
    other_app, tenants
) -> None:
    client = client_via(other_app(**PATH), "acme", "path")
    page = client.get("/").text
    links = set(re.findall(r'(?:href|src|action)="(/[^"]*)"', page))
    assert links and all(link.startswith("/t/acme/") for link in links), links
    assert client.get("/static/tenantry.css").status_code == 200
    assert "/t/acme/static/tenantry.css" in links
    assert client.get("/notes/").headers["Location"].startswith("/t/acme/login")
    bare = client_for(client.application, "localhost").get("/t/acme?x=1")
    assert (bare.status_code, bare.headers["Location"]) == (308, "/t/acme/?x=1")


def test_under_the_path_cookies_are_scoped_to_the_tenant(other_app, tenants) -> None:
    _, user, _ = tenants
    site = other_app(**PATH)
    client = client_via(site, "acme", "path")
    signed_in = do_login(client, user)
    assert "Path=/t/acme;" in signed_in.headers["Set-Cookie"]
    assert client.get("/notes/").status_code == 200
    # The browser does not send acme's cookie to bravo; sent anyway, it signs in nobody.
    bravo = client_via(site, "bravo", "path")
    assert bravo.get("/account/").status_code == 302
    cookie = client.get_cookie("tenantry_session", path="/t/acme")
    bravo.set_cookie("tenantry_session", cookie.value, path="/")
    assert bravo.get("/account/").status_code == 302


def test_a_path_naming_no_tenant_is_404(other_app, tenants) -> None:
    assert client_via(other_app(**PATH), "nobody", "path").get("/").status_code == 404


# -- two strategies ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "request_", "sources"),
    [
        (HEADER, {"headers": {"X-Tenant": "bravo"}}, ("the Host header", "the X-Tenant header")),
        (PATH, {"path": "/t/bravo/"}, ("the path", "the Host header")),
    ],
    ids=["host and header", "host and path"],
)
def test_two_strategies_naming_different_tenants_is_400(
    other_app, tenants, settings, request_, sources
) -> None:
    client = client_for(other_app(**settings), "acme.localhost")
    response = client.get(request_.get("path", "/"), headers=request_.get("headers"))
    assert response.status_code == 400
    assert "This request names two different sites" in response.text
    assert all(source in response.text for source in sources)
    assert "Acme" not in response.text and "Bravo" not in response.text


def test_two_strategies_naming_the_same_tenant_agree(other_app, tenants) -> None:
    client = client_for(other_app(**HEADER), "acme.localhost")
    response = client.get("/", headers={"X-Tenant": "acme"})
    assert response.status_code == 200 and "Acme" in response.text


def test_a_tenants_csrf_token_does_not_carry_to_another_over_a_header(other_app, tenants) -> None:
    _, user, _ = tenants
    site = other_app(**HEADER)
    client = client_via(site, "acme", "header")
    do_login(client, user)
    token = csrf_token(client, "/notes/new")
    client.headers = {"X-Tenant": "bravo"}  # the same browser, now naming bravo
    assert client.get("/account/").status_code == 302  # acme's sign-in is not bravo's
    posted = client.post("/notes/new", data={"title": "planted", "csrf_token": token})
    assert posted.status_code in (302, 404)
    assert "planted" not in client_via(site, "acme", "header").get("/notes/").text


# -- settings ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ([], "name at least one strategy"),
        (["host", "host"], "each strategy once"),
        (["hosts"], "unknown strategy 'hosts': use host, header, path or 'package.module:factory'"),
        (["tenantry.settings:ENV_PREFIX"], "is not a callable that makes a strategy"),
        (["tenantry.nowhere:Strategy"], "cannot import 'tenantry.nowhere'"),
    ],
)
def test_a_wrong_strategy_stops_the_start_with_one_line(value, reason) -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings(env="test", tenant_resolvers=value)
    lines = str(refused.value).splitlines()
    assert len(lines) == 2 and lines[1].startswith("  tenant_resolvers")
    assert reason in lines[1]


# -- links made without a request ----------------------------------------------------------


@pytest.mark.parametrize(
    ("resolvers", "expected"),
    [
        (["host"], "http://acme.localhost/login"),
        (["path"], "http://localhost/t/acme/login"),
        (["path", "host"], "http://localhost/t/acme/login"),
        (["host", "path"], "http://acme.localhost/login"),
    ],
)
def test_links_in_mail_point_where_the_first_of_host_and_path_says(
    other_app, tenants, resolvers, expected
) -> None:
    acme, _, _ = tenants
    site = other_app(tenant_resolvers=resolvers)
    with site.app_context():
        assert site_url(acme, "auth.login") == expected
        assert site_url(None, "auth.login") == "http://localhost/login"


def test_a_job_under_paths_makes_links_under_its_tenants_path(other_app, tenants) -> None:
    acme, _, _ = tenants
    site = other_app(tenant_resolvers=["path"])
    with site.app_context(), tenant_context(acme):
        jobs.enqueue(link_to_login)
        db.session.commit()  # no jobs_url: the job runs now
        assert db.session.scalar(select(Note.title)) == "http://localhost/t/acme/login"


def link_to_login() -> None:
    """A job: notes where ``url_for`` sends people to sign in."""
    notes.create({"title": url_for("auth.login", _external=True)}, None)
