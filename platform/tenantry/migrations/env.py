"""Alembic environment: the core's models plus every loaded plugin's, on one metadata.

Each migration runs in its own transaction on PostgreSQL, so a failing one
leaves the database at the last revision that succeeded. After upgrading,
row-level security is brought in line with the metadata (see tenancy.rls).
"""

from alembic import context
from sqlalchemy import pool

from tenantry.db import Base, make_engine
from tenantry.tenancy import rls

config = context.config
settings = config.attributes.get("settings")
if settings is None:  # run through the plain `alembic` command
    from tenantry.app import load_models
    from tenantry.settings import load_settings

    settings = load_settings()
    load_models(settings)


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
