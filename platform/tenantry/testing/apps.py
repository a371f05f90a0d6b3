"""The app under test: settings for a scratch database, the app migrated to head, emptied again.

A session builds one app per database and empties its tables after each test,
which is much faster than a new database per test.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import create_engine, text

from tenantry import cache
from tenantry.auth.throttle import reset_throttle, throttle
from tenantry.cli import create_app
from tenantry.db import Base, db
from tenantry.instrument import USAGE_EXTENSION
from tenantry.migrate import alembic_config, upgrade
from tenantry.plugins.runtime import runtime
from tenantry.settings import Settings, load_settings
from tenantry.tenancy.gate import resolver
from tenantry.testing.postgres import ScratchPostgres

#: The root host of the app under test; tenants are ``<slug>.localhost``.
ROOT = "localhost"
#: The password of every account the fixtures make.
PASSWORD = "correct-horse-battery"


def settings_for_test(
    tmp_path: Path, backend: str, scratch: ScratchPostgres | None = None, **overrides: Any
) -> Settings:
    """Settings for a test app on SQLite in ``tmp_path`` or on the ``scratch`` PostgreSQL."""
    if backend == "postgres":
        assert scratch is not None
        urls = {
            "database_url": scratch.app_url,
            "migrations_database_url": scratch.owner_url,
            "platform_database_url": scratch.platform_url,
        }
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
    """Create the app (with the ``tenantry`` commands on ``app.cli``) and bring its
    database to the head revision."""
    app = create_app(settings)
    app.config["TESTING"] = True
    with app.app_context():
        upgrade(alembic_config(settings, runtime().registry))
    return app


def app_like(app: Flask, **overrides: Any) -> Flask:
    """Another app on ``app``'s (migrated) database, with ``overrides`` to its settings: to
    test a setting on both databases without migrating a second one. Call ``dispose`` after."""
    settings: Settings = app.extensions["tenantry.settings"]
    assert settings.secret_key is not None
    values = settings.model_dump() | {"secret_key": settings.secret_key.get_secret_value()}
    other = create_app(load_settings(**(values | overrides)))
    other.config["TESTING"] = True
    return other


def dispose(app: Flask) -> None:
    """Write ``app``'s buffered usage and close the connections it opened: before its
    database is dropped, or after an ``app_like`` app is done."""
    if (usage := app.extensions.get(USAGE_EXTENSION)) is not None:
        usage.close()
    with app.app_context():
        db.engine.dispose()
        db.platform_engine.dispose()


def reset_database(app: Flask) -> None:
    """Empty every table and forget cached state (resolved hosts, enabled plugins, throttle,
    the tenant-keyed cache).

    DELETE, not TRUNCATE: a test leaves a few rows, and deleting them takes milliseconds
    where TRUNCATE replaces every table's and index's files (0.2 s a test; over 1 s with
    the tenant tables partitioned). Ids go on from where they were, as in production.
    """
    settings: Settings = app.extensions["tenantry.settings"]
    with app.app_context():
        tables = [t for t in reversed(Base.metadata.sorted_tables)]
        if settings.database_url.startswith("postgresql"):
            engine = create_engine(settings.effective_migrations_url)
            with engine.begin() as connection:
                # The tables FORCE row-level security, owner included: this clears them all.
                connection.execute(text("SELECT set_config('tenantry.all_tenants', 'on', true)"))
                for table in tables:
                    connection.execute(table.delete())
            engine.dispose()
        else:
            with db.engine.begin() as connection:
                for table in tables:
                    connection.execute(table.delete())
    forget_cached(app)


def forget_cached(app: Flask) -> None:
    """Forget what ``app`` keeps in memory about the database: resolved hosts, enabled
    plugins, the throttle, the tenant-keyed cache (an ``app_like`` app, after a reset)."""
    settings: Settings = app.extensions["tenantry.settings"]
    with app.app_context():
        resolver().clear()
        runtime().enabled_cache.clear()
        throttle().reset()
        reset_throttle().reset()
        cache.init_app(app, settings)  # a new store: ids start again, old entries must not match
