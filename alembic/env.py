"""Alembic environment: the core's models plus every loaded plugin's, on one metadata.

Run by ``tenantry db ...`` (which hands over the settings and every plugin's
branch), or by the plain ``alembic`` command from a checkout (alembic.ini at
the root) for work on the core's own branch: then only the core's tables are
compared, since plugin branches are not on alembic.ini's version path.

Each migration runs in its own transaction on PostgreSQL, so a failing one
leaves the database at the last revision that succeeded. After upgrading,
row-level security is brought in line with the metadata (see tenancy.rls).
"""

from typing import Any

from alembic import context
from sqlalchemy import pool

from tenantry.app import load_models
from tenantry.db import Base, UtcDateTime, make_engine
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


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    engine = make_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            transaction_per_migration=True,
            compare_type=True,
            include_object=core_tables_only if core_only else None,
            render_item=render_item,
        )
        with context.begin_transaction():
            context.run_migrations()
        if connection.dialect.name == "postgresql":
            rls.sync(connection, Base.metadata, app_url=settings.database_url)
            connection.commit()
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run against a database")
run_migrations_online()
