"""A scratch PostgreSQL database per run, and the roles the app under test connects as.

The superuser of ``TENANTRY_TEST_POSTGRES_URL`` only creates the database and
the roles and migrates; the app connects as ``tenantry_app`` for tenants and as
``tenantry_platform`` for cross-tenant work (both NOSUPERUSER NOBYPASSRLS), as
in production, because a superuser or a BYPASSRLS role skips row-level security
and the tests would prove nothing.
"""

from __future__ import annotations

import os
import uuid
from contextlib import suppress

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, ProgrammingError

ADMIN_URL = os.environ.get(
    "TENANTRY_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
APP_ROLE = "tenantry_app"
PLATFORM_ROLE = "tenantry_platform"


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
    """Skip the calling test without PostgreSQL, or fail it with ``TENANTRY_REQUIRE_POSTGRES=1``."""
    reason = postgres_unavailable()
    if reason is None:
        return
    # Imported here: pytest is a test-only dependency, and benchmarks import this module too.
    import pytest

    if os.environ.get("TENANTRY_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"TENANTRY_REQUIRE_POSTGRES=1 but {reason}")
    pytest.skip(reason)


class ScratchPostgres:
    """A throwaway database, with the application roles that RLS applies to (on the server
    of ``admin_url``, a superuser's URL: the shared test server by default)."""

    def __init__(self, admin_url: str = ADMIN_URL) -> None:
        self.name = f"tenantry_test_{uuid.uuid4().hex[:10]}"
        self.server_url = admin_url
        self.admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with self.admin.connect() as connection:
            for role in (APP_ROLE, PLATFORM_ROLE):
                exists = connection.execute(
                    text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}
                ).first()
                # Another run may create it in the meantime.
                with suppress(ProgrammingError, IntegrityError):
                    if exists is None:
                        connection.execute(
                            text(f"CREATE ROLE {role} LOGIN NOSUPERUSER NOBYPASSRLS")
                        )
            connection.execute(text(f'CREATE DATABASE "{self.name}"'))
        base = make_url(admin_url).set(database=self.name)
        self.owner_url = base.render_as_string(hide_password=False)
        self.app_url = self.url_as(APP_ROLE)
        self.platform_url = self.url_as(PLATFORM_ROLE)

    def url_as(self, role: str) -> str:
        """The scratch database's URL for ``role`` (trust authentication, no password)."""
        base = make_url(self.server_url).set(database=self.name, username=role, password=None)
        return base.render_as_string(hide_password=False)

    def drop(self) -> None:
        with self.admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self.admin.dispose()

    def __enter__(self) -> ScratchPostgres:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.drop()
