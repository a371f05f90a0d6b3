"""pytest plugin for tenantry and its plugin authors (entry point ``pytest11``).

Fixtures run every test that uses ``app`` against SQLite and PostgreSQL. On
PostgreSQL each test session gets a scratch database, migrated by the
superuser (who owns the tables) while the app connects as ``tenantry_app``, a
role without superuser or BYPASSRLS, as in production; otherwise row-level
security would prove nothing. Without a PostgreSQL server those tests skip
with the reason, unless ``TENANTRY_REQUIRE_POSTGRES=1`` makes them fail.

    def test_only_my_notes(make_tenant, tenant_client, login):
        acme = make_tenant("acme", plugins=["notes"])
        client = tenant_client(acme)
        login(client, make_user(acme, role="admin"))
"""

from __future__ import annotations

import os
import re
import secrets
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from waitress.server import create_server

from tenantry.settings import Settings, load_settings

ADMIN_URL = os.environ.get(
    "TENANTRY_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
APP_ROLE = "tenantry_app"
PASSWORD = "correct-horse-battery"
ROOT = "localhost"
BACKENDS = ("sqlite", "postgres")


def postgres_unavailable() -> str | None:
    """Why PostgreSQL tests cannot run here, or None when they can."""
    try:
        engine = create_engine(ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as error:
        return f"no PostgreSQL at {make_url(ADMIN_URL).render_as_string()}: {type(error).__name__}"
    return None


def require_postgres() -> None:
    reason = postgres_unavailable()
    if reason is None:
        return
    if os.environ.get("TENANTRY_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"TENANTRY_REQUIRE_POSTGRES=1 but {reason}")
    pytest.skip(reason)


class ScratchPostgres:
    """A throwaway database, with the application role that RLS applies to."""

    def __init__(self) -> None:
        self.name = f"tenantry_test_{uuid.uuid4().hex[:10]}"
        self.admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
        with self.admin.connect() as connection:
            exists = connection.execute(
                text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": APP_ROLE}
            ).first()
            if exists is None:
                connection.execute(text(f"CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS"))
            connection.execute(text(f'CREATE DATABASE "{self.name}"'))
        base = make_url(ADMIN_URL).set(database=self.name)
        self.owner_url = base.render_as_string(hide_password=False)
        self.app_url = base.set(username=APP_ROLE, password=None).render_as_string(
            hide_password=False
        )

    def drop(self) -> None:
        with self.admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self.admin.dispose()


def settings_for_test(
    tmp_path: Path, backend: str, scratch: ScratchPostgres | None = None, **overrides: Any
) -> Settings:
    """Settings for a test app; the database is migrated by ``migrate_for``."""
    if backend == "postgres":
        assert scratch is not None
        urls = {"database_url": scratch.app_url, "migrations_database_url": scratch.owner_url}
    else:
        urls = {"database_url": f"sqlite:///{tmp_path / 'tenantry.db'}"}
    values: dict[str, Any] = {
        "env": "test",
        "secret_key": secrets.token_urlsafe(32),
        "instance_path": tmp_path / "instance",
        "server_name": ROOT,
        "log_level": "WARNING",
        **urls,
    }
    values.update(overrides)
    return load_settings(**values)


def build_app(settings: Settings) -> Flask:
    """Create the app and bring its database to the head revision."""
    from tenantry.cli import create_app
    from tenantry.migrate import alembic_config, upgrade
    from tenantry.plugins.runtime import runtime

    app = create_app(settings)
    app.config["TESTING"] = True
    with app.app_context():
        upgrade(alembic_config(settings, runtime().registry))
    return app


def reset_database(app: Flask) -> None:
    """Empty every table (faster than a new database per test) and forget cached state."""
    from tenantry.auth.throttle import throttle
    from tenantry.db import Base, db
    from tenantry.plugins.runtime import runtime
    from tenantry.tenancy.gate import resolver

    settings: Settings = app.extensions["tenantry.settings"]
    with app.app_context():
        tables = [t for t in reversed(Base.metadata.sorted_tables)]
        if settings.database_url.startswith("postgresql"):
            engine = create_engine(settings.effective_migrations_url)
            with engine.begin() as connection:
                names = ", ".join(f'"{t.name}"' for t in tables)
                connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            engine.dispose()
        else:
            with db.engine.begin() as connection:
                for table in tables:
                    connection.execute(table.delete())
        resolver().clear()
        runtime().enabled_cache.clear()
        throttle().reset()


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
) -> Flask:
    scratch = request.getfixturevalue("_scratch_postgres") if backend == "postgres" else None
    return build_app(settings_for_test(tmp_path_factory.mktemp(backend), backend, scratch))


@pytest.fixture
def app(_session_app: Flask) -> Iterator[Flask]:
    """The tenantry app with every installed plugin, on an empty, migrated database."""
    yield _session_app
    reset_database(_session_app)


@pytest.fixture
def session(app: Flask) -> Iterator[Any]:
    """The app's session inside an app context (no tenant: enter one with tenant_context)."""
    from tenantry.db import db

    with app.app_context():
        yield db.session


@pytest.fixture
def make_tenant(app: Flask) -> Callable[..., Any]:
    """``make_tenant("acme", plugins=["notes"])``: a committed, active tenant (a TenantRef)."""
    from tenantry.db import db
    from tenantry.plugins import enablement
    from tenantry.plugins.runtime import runtime
    from tenantry.tenancy import lifecycle
    from tenantry.tenancy.context import as_ref

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
    from tenantry.auth import accounts
    from tenantry.db import db
    from tenantry.tenancy.models import Tenant

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
def make_operator(app: Flask) -> Callable[..., tuple[str, str]]:
    from tenantry.auth import accounts
    from tenantry.db import db

    def make(email: str = "op@platform.test") -> tuple[str, str]:
        with app.app_context():
            accounts.create_operator(db.session, email, PASSWORD)
            db.session.commit()
        return email, PASSWORD

    return make


def host_of(tenant: Any) -> str:
    return f"{tenant.slug}.{ROOT}"


class HostClient(FlaskClient):
    """A test client that sends every request to one Host (a tenant's or the root)."""

    def __init__(self, *args: Any, host: str = ROOT, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.host = host

    def open(self, *args: Any, **kwargs: Any) -> Any:
        if not (args and not isinstance(args[0], str)):
            kwargs.setdefault("base_url", f"http://{self.host}")
        return super().open(*args, **kwargs)

    def session_transaction(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("base_url", f"http://{self.host}")
        return super().session_transaction(*args, **kwargs)


def client_for(app: Flask, host: str) -> HostClient:
    return HostClient(app, app.response_class, use_cookies=True, host=host)


@pytest.fixture
def tenant_client(app: Flask) -> Callable[[Any], FlaskClient]:
    """``tenant_client(tenant)``: a test client whose requests carry the tenant's Host."""
    return lambda tenant: client_for(app, host_of(tenant))


@pytest.fixture
def platform_client(app: Flask) -> FlaskClient:
    """A test client on the root host (landing page, platform admin)."""
    return client_for(app, ROOT)


@contextmanager
def serve_in_thread(app: Flask, port: int = 0, threads: int = 8) -> Iterator[Any]:
    """A real waitress server on loopback for the block; yields it (``.effective_port``).

    Polls in short slices so it can stop cleanly: waitress's own ``run()`` has no stop.
    """
    server = create_server(app, host="127.0.0.1", port=port, threads=threads)
    stopping = threading.Event()

    def loop() -> None:
        while not stopping.is_set():
            server.asyncore.loop(timeout=0.05, map=server._map, count=1, use_poll=True)

    thread = threading.Thread(target=loop, name="tenantry-test-server", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        stopping.set()
        thread.join(timeout=5)
        server.task_dispatcher.shutdown()
        server.close()


CSRF = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"'
)


def csrf_token(client: FlaskClient, path: str) -> str:
    """The CSRF token of the form at ``path``, as a browser would read it."""
    page = client.get(path).get_data(as_text=True)
    match = CSRF.search(page)
    assert match, f"no CSRF token in the form at {path}"
    return match.group(1) or match.group(2)


def do_login(client: FlaskClient, credentials: tuple[str, str]) -> Any:
    email, password = credentials
    token = csrf_token(client, "/login")
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


@pytest.fixture
def login() -> Callable[[FlaskClient, tuple[str, str]], Any]:
    """``login(client, make_user(tenant))``: log in through the real form, CSRF included."""
    return do_login


def assert_isolated(body: str, foreign_markers: list[str]) -> None:
    """Fail when a page shows any marker that belongs to another tenant's rows."""
    leaked = [marker for marker in foreign_markers if marker in body]
    assert not leaked, f"another tenant's data leaked into the response: {leaked}"
