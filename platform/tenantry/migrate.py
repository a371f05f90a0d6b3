"""Schema migrations: the core's alembic branch plus one branch per loaded plugin.

The migration environment lives inside the package (``tenantry/migrations``)
so an installed tenantry can migrate without a source checkout; each plugin's
``migrations`` directory joins ``version_locations`` with its name as branch
label, and ``upgrade`` goes to all heads, so installing a plugin and running
``tenantry db upgrade`` creates its tables.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from tenantry.plugins.registry import PluginRegistry
from tenantry.settings import Settings

HERE = Path(__file__).parent / "migrations"


class MigrationError(Exception):
    """A migration failed; the database was left as the last successful revision."""


def alembic_config(settings: Settings, registry: PluginRegistry) -> Config:
    config = Config()
    config.set_main_option("script_location", str(HERE))
    locations = [str(HERE / "versions")]
    locations += [str(entry.plugin.migrations) for entry in registry if entry.plugin.migrations]
    config.set_main_option("version_locations", " ".join(locations))
    config.set_main_option("path_separator", "space")
    config.set_main_option("sqlalchemy.url", settings.effective_migrations_url.replace("%", "%%"))
    config.attributes["settings"] = settings
    config.attributes["registry"] = registry
    return config


def expected_heads(config: Config) -> set[str]:
    """The revisions the version table holds when every branch is at its head.

    A head that another head depends on (a plugin's ``depends_on``) is not stored in the
    version table once its dependent is applied, so it is left out here as well.
    """
    script = ScriptDirectory.from_config(config)
    heads = set(script.get_heads())
    covered = {
        revision.revision
        for head in heads
        for revision in script.iterate_revisions(head, "base")
        if revision.revision != head
    }
    return heads - covered


def current_heads(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads())


def upgrade(config: Config, target: str = "heads") -> None:
    _run(command.upgrade, config, target)


def downgrade(config: Config, target: str) -> None:
    _run(command.downgrade, config, target)


def _run(step: Callable[[Config, str], None], config: Config, target: str) -> None:
    try:
        step(config, target)
    except Exception as error:  # alembic, the driver or a migration's own code
        raise MigrationError(f"migration failed: {type(error).__name__}: {error}") from error
