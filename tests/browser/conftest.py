"""Browser suite: the real app under waitress, driven by headless Chromium (Playwright, sync).

One server and one SQLite database per session. Tests never share accounts: each
makes its own users (``site.make_user``), so they run in any order and the login
throttle never trips. Skips without Chromium, unless TENANTRY_REQUIRE_BROWSER=1.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tenantry.testing import (
    PASSWORD,
    MailCatcher,
    build_app,
    free_port,
    serve_in_thread,
    settings_for_test,
)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
TIMEOUT_MS = 10_000


def _require_browser() -> None:
    if CHROMIUM.exists():
        return
    reason = f"no Chromium at {CHROMIUM} (install Debian's chromium package)"
    if os.environ.get("TENANTRY_REQUIRE_BROWSER") == "1":
        pytest.fail(f"TENANTRY_REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(reason)


@dataclass
class LiveSite:
    """The running server, and data set-up done directly in its database."""

    #: The demo-like tenant (notes + tasks) and a second one (notes only), made at start.
    DEMO = "demo"
    OTHER = "other"

    app: Flask
    port: int
    #: The SMTP server the site sends its mail to (aiosmtpd on a free port).
    mail: MailCatcher
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def url(self, slug: str | None = None, path: str = "/") -> str:
        host = f"{slug}.localhost" if slug else "localhost"
        return f"http://{host}:{self.port}{path}"

    def direct(self, slug: str, path: str) -> tuple[str, dict[str, str]]:
        """URL and Host header for Playwright's request API, which runs in Node: Node does
        not resolve ``*.localhost`` as Chromium does, so connect to 127.0.0.1 and name the
        tenant's host in the header, as a browser would."""
        return f"http://127.0.0.1:{self.port}{path}", {"Host": f"{slug}.localhost:{self.port}"}

    def unique(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids)}"

    def make_tenant(self, slug: str, plugins: tuple[str, ...] = ()) -> None:
        from tenantry.db import db
        from tenantry.plugins import enablement
        from tenantry.plugins.runtime import runtime
        from tenantry.tenancy import lifecycle

        with self.app.app_context():
            tenant = lifecycle.create(db.session, slug, slug.title())
            for plugin in plugins:
                enablement.enable(db.session, runtime().registry, tenant, plugin)
            db.session.commit()

    def make_user(self, slug: str, role: str = "member") -> tuple[str, str]:
        from tenantry.auth import accounts
        from tenantry.db import db
        from tenantry.tenancy import lifecycle

        email = f"{self.unique(role)}@{slug}.test"
        with self.app.app_context():
            accounts.create_user(
                db.session, lifecycle.find(db.session, slug), email, PASSWORD, role
            )
            db.session.commit()
        return email, PASSWORD

    def make_operator(self) -> tuple[str, str]:
        from tenantry.auth import accounts
        from tenantry.db import db

        email = f"{self.unique('operator')}@platform.test"
        with self.app.app_context():
            accounts.create_operator(db.session, email, PASSWORD)
            db.session.commit()
        return email, PASSWORD

    def make_note(self, slug: str, title: str, body: str = "") -> int:
        from tenantry.db import db
        from tenantry.tenancy import lifecycle
        from tenantry.tenancy.context import tenant_context
        from tenantry_notes.models import Note

        with self.app.app_context(), tenant_context(lifecycle.find(db.session, slug)):
            note = Note(title=title, body=body, tags="")
            db.session.add(note)
            db.session.commit()
            return note.id

    def log_in(self, page: Any, slug: str | None, credentials: tuple[str, str]) -> None:
        """Log in through the real form on a tenant's host (or the root host for None)."""
        email, password = credentials
        page.goto(self.url(slug, "/login"))
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(password)
        with page.expect_navigation():
            page.get_by_role("button", name="Log in").click()
        assert "/login" not in page.url, f"login failed: {page.locator('main').inner_text()}"
        assert page.locator(".account .who").inner_text() == email

    def reset_login_throttle(self) -> None:
        from tenantry.auth.throttle import reset_throttle, throttle

        with self.app.app_context():
            throttle().reset()
            reset_throttle().reset()

    @staticmethod
    def screenshot(page: Any, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    def active_tenants(self) -> int:
        from sqlalchemy import func, select

        from tenantry.db import db
        from tenantry.tenancy.models import Tenant

        with self.app.app_context():
            return db.session.scalar(
                select(func.count()).select_from(Tenant).where(Tenant.status == "active")
            )


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveSite]:
    """The real app, migrated, on a fresh SQLite database, served by waitress on a free port,
    sending its mail to a real SMTP server on another."""
    _require_browser()  # no point starting a server nobody will browse
    port = free_port()
    with MailCatcher() as mail:
        settings = settings_for_test(
            tmp_path_factory.mktemp("browser"),
            "sqlite",
            server_name=f"localhost:{port}",
            mail_url=f"smtp://127.0.0.1:{mail.port}",
        )
        app = build_app(settings)
        app.config["TESTING"] = False  # serve exactly as in production
        live = LiveSite(app, port, mail)
        live.make_tenant(live.DEMO, plugins=("notes", "tasks"))
        live.make_tenant(live.OTHER, plugins=("notes",))

        with serve_in_thread(app, port=port, threads=4):
            yield live


@pytest.fixture(autouse=True)
def _fresh_login_throttle(site: LiveSite) -> None:
    """The real limit (10 logins a minute per address) stays; each test starts with none used.

    Every login here comes from 127.0.0.1, so the whole suite would trip it otherwise.
    """
    site.reset_login_throttle()


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Any]:
    _require_browser()
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright_driver: Any) -> Iterator[Any]:
    chromium = playwright_driver.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
    yield chromium
    chromium.close()


@dataclass
class Watch:
    """What a page reported while a test ran: console messages and server errors."""

    console: list[str] = field(default_factory=list)
    server_errors: list[str] = field(default_factory=list)

    def on_console(self, message: Any) -> None:
        where = message.location.get("url", "?") if message.location else "?"
        self.console.append(f"{message.type} at {where}: {message.text}")

    def csp_violations(self) -> list[str]:
        found = [m for m in self.console if "Content Security Policy" in m]
        return list(dict.fromkeys(m[:300] for m in found))  # once each, shortened

    def assert_clean(self) -> None:
        blocked = "\n".join(self.csp_violations())
        assert not blocked, f"the Content Security Policy blocked something:\n{blocked}"
        assert not self.server_errors, f"server errors: {self.server_errors}"


@pytest.fixture
def watch() -> Watch:
    return Watch()


@pytest.fixture
def new_page(browser: Any, watch: Watch) -> Iterator[Any]:
    """``new_page()``: a page in a fresh context (own cookies), watched by ``watch``."""
    contexts = []

    def make() -> Any:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.on("console", watch.on_console)
        page.on("pageerror", lambda e: watch.console.append(f"pageerror: {e}"))
        page.on(
            "response",
            lambda r: r.status >= 500 and watch.server_errors.append(f"{r.status} {r.url}"),
        )
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page: Any) -> Any:
    return new_page()


@pytest.fixture
def request_context(playwright_driver: Any) -> Iterator[Any]:
    """A cookie-less HTTP client (Playwright's APIRequestContext): only headers authenticate."""
    context = playwright_driver.request.new_context()
    yield context
    context.dispose()
