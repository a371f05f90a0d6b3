"""Alembic environment: the core's models plus every loaded plugin's, on one metadata.

Run by ``tenantry db ...`` (which hands over the settings and every plugin's
branch), or by the plain ``alembic`` command from a checkout (alembic.ini at
the root) for work on the core's own branch: then only the core's tables are
compared, since plugin branches are not on alembic.ini's version path.

Each migration runs in its own transaction on PostgreSQL, so a failing one
leaves the database at the last revision that succeeded. After upgrading,
row-level security is brought in line with the metadata (see tenancy.rls).
"""

from collections.abc import Callable
from typing import Any

from alembic import context
from sqlalchemy import pool

from tenantry.app import load_models
from tenantry.db import Base, UtcDateTime, make_engine
from tenantry.plugins.registry import PluginRegistry
from tenantry.settings import load_settings
from tenantry.tenancy import rls

config = context.config
settings = config.attributes.get("settings")
core_only = settings is None
if core_only:  # the plain `alembic` command
    settings = load_settings()
    load_models(settings)
    config.set_main_option("sqlalchemy.url", settings.effective_migrations_url.replace("%", "%%"))


def render_item(kind: str, item: Any, _autogen_context: Any) -> str | bool:
    """Revisions spell UtcDateTime as the column type it is in the database, so they
    import nothing from tenantry."""
    if kind == "type" and isinstance(item, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def core_tables_only(_object: Any, name: str | None, kind: str, *_rest: Any) -> bool:
    return kind != "table" or bool(name and name.startswith("tenantry_"))


def loaded_tables_only(registry: PluginRegistry) -> Callable[..., bool]:
    """Leave out tables in the database that belong to plugins not loaded here (uninstalled,
    disabled or refused): every plugin table starts with its plugin's name."""
    owned = ("tenantry_", *(f"{entry.name}_" for entry in registry))

    def include(_object: Any, name: str | None, kind: str, reflected: bool, other: Any) -> bool:
        unmodelled = kind == "table" and reflected and other is None
        return not unmodelled or bool(name and name.startswith(owned))

    return include


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    engine = make_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # A batch migration copies a table and drops the original; with foreign keys on,
            # that drop deletes (or cascades to) every row referring to it. The pragma is
            # ignored inside a transaction, so it goes off before and is checked after.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            transaction_per_migration=True,
            compare_type=True,
            include_object=(
                core_tables_only if core_only else loaded_tables_only(config.attributes["registry"])
            ),
            render_item=render_item,
        )
        with context.begin_transaction():
            context.run_migrations()
        if sqlite:
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            if broken:
                raise RuntimeError(f"rows refer to rows that do not exist: {broken[:10]}")
        else:
            rls.sync(
                connection,
                Base.metadata,
                app_url=settings.database_url,
                platform_url=settings.effective_platform_url,
            )
            connection.commit()
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run against a database")
run_migrations_online()
