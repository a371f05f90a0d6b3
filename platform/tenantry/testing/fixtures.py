"""pytest plugin for tenantry and its plugin authors (entry point ``pytest11``).

Fixtures run every test that uses ``app`` against SQLite and PostgreSQL (only
PostgreSQL, with every tenant table hash-partitioned by tenant, when
``TENANTRY_TEST_PARTITIONS`` asks for partitions: see ``testing.partitioned``). On
PostgreSQL each test session gets a scratch database, migrated by the
superuser (who owns the tables) while the app connects as ``tenantry_app``, a
role without superuser or BYPASSRLS, as in production; otherwise row-level
security would prove nothing. Without a PostgreSQL server those tests skip
with the reason, unless ``TENANTRY_REQUIRE_POSTGRES=1`` makes them fail.
Tests use these fixtures by name; the plain helpers are in ``tenantry.testing``.

    def test_only_my_notes(make_tenant, make_user, tenant_client, login):
        acme = make_tenant("acme", plugins=["notes"])
        client = tenant_client(acme)
        login(client, make_user(acme, role="admin"))
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from tenantry import mail
from tenantry.auth import accounts
from tenantry.db import Base, db
from tenantry.mail.backends import SmtpBackend
from tenantry.plugins import enablement
from tenantry.plugins.runtime import runtime
from tenantry.settings import MailServer
from tenantry.tenancy import lifecycle
from tenantry.tenancy.context import as_ref
from tenantry.tenancy.models import Tenant
from tenantry.testing.apps import (
    PASSWORD,
    ROOT,
    app_like,
    build_app,
    dispose,
    forget_cached,
    reset_database,
    settings_for_test,
)
from tenantry.testing.clients import (
    STRATEGY_SETTINGS,
    HostClient,
    client_for,
    client_via,
    do_login,
    host_of,
)
from tenantry.testing.oidc_provider import OidcIssuer
from tenantry.testing.partitioned import partition_tenant_tables, partitions_wanted
from tenantry.testing.postgres import ScratchPostgres, require_postgres
from tenantry.testing.smtp import MailCatcher

try:
    #: TENANTRY_TEST_PARTITIONS=8: tenant tables hash-partitioned by tenant_id (PostgreSQL only).
    PARTITIONS = partitions_wanted()
except ValueError as error:
    raise pytest.UsageError(str(error)) from None
BACKENDS = ("postgres",) if PARTITIONS else ("sqlite", "postgres")

# Every key RQ writes during this run starts with this prefix, so runs sharing a Redis never
# meet and cleaning up touches only this run's keys. Set before anything imports rq (which
# reads it once); worker subprocesses inherit it.
os.environ.setdefault("RQ_KEY_PREFIX", f"tenantry-test-{uuid.uuid4().hex[:10]}")


@pytest.fixture(scope="session")
def _scratch_postgres() -> Iterator[ScratchPostgres]:
    require_postgres()
    scratch = ScratchPostgres()
    yield scratch
    scratch.drop()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Which database this test runs against: every test using ``app`` runs on both."""
    return request.param


@pytest.fixture(scope="session")
def _session_app(
    backend: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Flask]:
    scratch = request.getfixturevalue("_scratch_postgres") if backend == "postgres" else None
    settings = settings_for_test(tmp_path_factory.mktemp(backend), backend, scratch)
    app = build_app(settings)
    if PARTITIONS and backend == "postgres":
        partition_tenant_tables(settings, Base.metadata, PARTITIONS)
    yield app
    dispose(app)  # before the scratch database is dropped


@pytest.fixture
def app(_session_app: Flask) -> Iterator[Flask]:
    """The tenantry app with every installed plugin, on an empty, migrated database."""
    yield _session_app
    reset_database(_session_app)


@pytest.fixture
def session(app: Flask) -> Iterator[Any]:
    """The app's session inside an app context (no tenant: enter one with tenant_context)."""
    with app.app_context():
        yield db.session


@pytest.fixture
def statements(app: Flask) -> Iterator[list[str]]:
    """The SQL the app's engine sends from here on, as it sends it (whitespace folded):
    what a test counts or searches to hold a request to its statements."""
    seen: list[str] = []
    with app.app_context():
        engine = db.engine

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


@pytest.fixture
def make_tenant(app: Flask) -> Callable[..., Any]:
    """``make_tenant("acme", plugins=["notes"])``: a committed, active tenant (a TenantRef)."""

    def make(slug: str, name: str | None = None, plugins: tuple[str, ...] | list[str] = ()) -> Any:
        with app.app_context():
            tenant = lifecycle.create(db.session, slug, name or slug.title())
            for plugin in plugins:
                enablement.enable(db.session, runtime().registry, tenant, plugin)
            db.session.commit()
            return as_ref(tenant)

    return make


@pytest.fixture
def make_user(app: Flask) -> Callable[..., Any]:
    """``make_user(tenant, "a@x.test", role="admin")``: returns (email, password)."""
    counter = iter(range(1, 10_000))

    def make(tenant: Any, email: str | None = None, role: str = "member") -> tuple[str, str]:
        email = email or f"user{next(counter)}@{tenant.slug}.test"
        with app.app_context():
            accounts.create_user(
                db.session, db.session.get(Tenant, tenant.id), email, PASSWORD, role
            )
            db.session.commit()
        return email, PASSWORD

    return make


@pytest.fixture
def set_plugin_settings(app: Flask) -> Callable[[Any, str, dict[str, Any]], None]:
    """``set_plugin_settings(tenant, "notes", {"per_page": 5})``: as a tenant admin would,
    through the same validation; the plugin must be enabled for the tenant."""

    def change(tenant: Any, plugin: str, values: dict[str, Any]) -> None:
        with app.app_context():
            row = db.session.get(Tenant, tenant.id)
            enablement.update_settings(db.session, runtime().registry, row, plugin, values)
            db.session.commit()

    return change


@pytest.fixture
def make_operator(app: Flask) -> Callable[..., tuple[str, str]]:
    """``make_operator()``: a platform operator; returns (email, password)."""

    def make(email: str = "op@platform.test") -> tuple[str, str]:
        with app.app_context():
            accounts.create_operator(db.session, email, PASSWORD)
            db.session.commit()
        return email, PASSWORD

    return make


@pytest.fixture
def tenant_client(app: Flask) -> Callable[[Any], FlaskClient]:
    """``tenant_client(tenant)``: a test client whose requests carry the tenant's Host."""
    return lambda tenant: client_for(app, host_of(tenant))


@pytest.fixture(scope="session")
def _strategy_apps() -> Iterator[dict[tuple[int, str], Flask]]:
    apps: dict[tuple[int, str], Flask] = {}
    yield apps
    for other in apps.values():
        dispose(other)


@pytest.fixture(params=list(STRATEGY_SETTINGS))
def strategy(request: pytest.FixtureRequest) -> str:
    """How ``strategy_client`` names its tenant: every test using it runs once per built-in
    resolution strategy (host, header, path)."""
    return request.param


@pytest.fixture
def strategy_client(
    app: Flask, strategy: str, _strategy_apps: dict[tuple[int, str], Flask]
) -> Callable[[Any], HostClient]:
    """``strategy_client(tenant)``: a client naming the tenant by ``strategy``, of an app
    on the test database that resolves tenants that way (one per strategy and database)."""
    if strategy == "host":
        target = app
    else:
        key = (id(app), strategy)
        if key not in _strategy_apps:
            _strategy_apps[key] = app_like(app, **STRATEGY_SETTINGS[strategy])
        target = _strategy_apps[key]
        forget_cached(target)
    return lambda tenant: client_via(target, tenant.slug, strategy)


@pytest.fixture
def platform_client(app: Flask) -> FlaskClient:
    """A test client on the root host (landing page, platform admin)."""
    return client_for(app, ROOT)


@pytest.fixture
def login() -> Callable[[FlaskClient, tuple[str, str]], Any]:
    """``login(client, make_user(tenant))``: log in through the real form, CSRF included."""
    return do_login


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[MailCatcher]:
    """A real SMTP server (aiosmtpd) on a free loopback port, for the whole session."""
    with MailCatcher() as server:
        yield server


@pytest.fixture
def outbox(app: Flask, smtp_server: MailCatcher) -> Iterator[MailCatcher]:
    """The app sends its mail through a real SMTP server during the test; read what arrived:
    ``outbox.wait_for("ann@acme.test").link("/invitation/")``."""
    smtp_server.clear()
    before = mail.use_backend(
        app, SmtpBackend(MailServer("127.0.0.1", smtp_server.port, "none"), timeout=5)
    )
    yield smtp_server
    mail.use_backend(app, before)


@pytest.fixture(scope="session")
def _oidc_issuer_server() -> Iterator[OidcIssuer]:
    with OidcIssuer() as issuer:
        yield issuer


@pytest.fixture
def oidc_issuer(
    app: Flask, _oidc_issuer_server: OidcIssuer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[OidcIssuer]:
    """A real OpenID Connect issuer on loopback (``testing.oidc_provider``), emptied for
    the test; the app may name its http:// URL as an issuer during the test."""
    monkeypatch.setattr(app.extensions["tenantry.settings"], "oidc_allow_http_issuers", True)
    _oidc_issuer_server.reset()
    yield _oidc_issuer_server
    _oidc_issuer_server.reset()
