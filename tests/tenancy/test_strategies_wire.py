"""The path strategy under waitress, over a real socket: what a browser gets."""

from __future__ import annotations

import http.client
import re

from tenantry.testing import STRATEGY_SETTINGS, app_like, dispose, serve_in_thread


def fetch(port: int, path: str) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", path, headers={"Host": "localhost"})
    response = connection.getresponse()
    response.body = response.read()  # type: ignore[attr-defined]
    connection.close()
    return response


def test_a_tenant_under_its_path_through_waitress(app, make_tenant) -> None:
    make_tenant("acme", "Acme")
    site = app_like(app, **STRATEGY_SETTINGS["path"])
    try:
        with serve_in_thread(site, threads=2) as server:
            port = server.effective_port
            page = fetch(port, "/t/acme/")
            login = fetch(port, "/t/acme/login")
            css = fetch(port, "/t/acme/static/tenantry.css")
            bare = fetch(port, "/t/acme")
    finally:
        dispose(site)
    assert page.status == 200 and b"Acme" in page.body  # type: ignore[attr-defined]
    assert re.search(r"Path=/t/acme(;|$)", login.getheader("Set-Cookie") or "")
    links = re.findall(r'(?:href|src|action)="(/[^"]*)"', login.body.decode())  # type: ignore[attr-defined]
    assert links and all(link.startswith("/t/acme/") for link in links), links
    assert css.status == 200
    assert (bare.status, bare.getheader("Location")) == (308, "/t/acme/")
