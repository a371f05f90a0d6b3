"""Schema migrations: the core's alembic branch plus one branch per loaded plugin.

The environment and the core's revisions live in the top-level ``alembic/``
folder, installed as the package ``tenantry.migrations`` (see pyproject.toml),
so an installed tenantry migrates without a source checkout. Each plugin's
``migrations`` directory joins ``version_locations`` with its name as branch
label, and ``upgrade`` goes to all heads, so installing a plugin and running
``tenantry db upgrade`` creates its tables.

A plugin uninstalled (or not loaded here) without being purged leaves its head
revision in the version table, with no file to match: an *orphan*. Tenants keep
working (its routes are gone, its tables are kept), the database counts as at
head, and commands stand a do-nothing placeholder in for each orphan so alembic
can move the other branches. Reinstalling the plugin resumes its branch;
``tenantry plugins purge NAME`` (with it installed) removes its tables.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.script.revision import RevisionError
from sqlalchemy import Engine, create_engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from tenantry.errors import Refused
from tenantry.plugins.registry import PluginRegistry
from tenantry.settings import Settings

CORE_BRANCH = "tenantry"


class MigrationError(Refused):
    """A migration failed; the database was left as the last successful revision."""


#: Inside an installed wheel (pyproject.toml maps alembic/ to tenantry/migrations/) ...
INSTALLED = Path(__file__).resolve().parent / "migrations"
#: ... or, in a checkout (an editable install), the top-level alembic/ itself.
CHECKOUT = Path(__file__).resolve().parents[2] / "alembic"


def environment() -> Path:
    """Where the migration environment and the core's revisions are."""
    return INSTALLED if INSTALLED.is_dir() else CHECKOUT


def alembic_config(settings: Settings, registry: PluginRegistry) -> Config:
    here = environment()
    config = Config()
    config.set_main_option("script_location", str(here))
    locations = [str(here / "versions")]
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


class SchemaCheck:
    """Is the database's schema at, behind or ahead of what this process's code expects?

    Ahead is fine: during a rolling deploy the new code migrates first and the old
    processes keep serving (migrations must stay backward compatible for one
    release). A revision this process does not know can only come from newer code.
    """

    def __init__(self, config: Config):
        self._script = ScriptDirectory.from_config(config)
        self.expected = expected_heads(config)
        self._answers: dict[frozenset[str], str] = {}

    def judge(self, current: set[str]) -> str:
        """ "at head", "ahead" (newer revisions applied) or "behind" (upgrade needed)."""
        key = frozenset(current)
        if key not in self._answers:
            self._answers[key] = self._judge(current)
        return self._answers[key]

    def _judge(self, current: set[str]) -> str:
        applied: set[str] = set()
        unknown = False
        for head in current:
            try:
                applied.update(r.revision for r in self._script.iterate_revisions(head, "base"))
            except RevisionError:  # no file for it here: newer code applied it
                unknown = True
        if unknown:
            return "ahead"
        return "behind" if self.expected - applied else "at head"


def current_heads(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads())


def at_head(current: set[str], expected: set[str]) -> bool:
    """Every branch this process knows is at its head; orphans do not count against it."""
    return expected <= current


def orphans(config: Config, current: set[str]) -> set[str]:
    """Revisions in the version table that no loaded branch has a file for."""
    known = {script.revision for script in ScriptDirectory.from_config(config).walk_revisions()}
    return current - known


def upgrade(config: Config, target: str = "heads") -> None:
    _run(command.upgrade, config, target)


def downgrade(config: Config, target: str) -> None:
    _run(command.downgrade, config, target)


def check(config: Config) -> None:
    """Raise alembic's AutogenerateDiffsDetected or CommandError when the models and the
    migrations disagree (tables of plugins not loaded here are left out, see env.py)."""
    with _placeholders(config):
        command.check(config)


PLACEHOLDER = '''"""Stands in for {revision!r}, whose file is not loaded (see tenantry.migrate)."""

revision = {revision!r}
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    raise RuntimeError(
        "revision {revision} belongs to a plugin that is not loaded; install it to downgrade"
    )
'''


@contextmanager
def _placeholders(config: Config) -> Iterator[None]:
    """Stand a do-nothing revision in for each orphan while alembic runs."""
    engine = create_engine(config.get_main_option("sqlalchemy.url"), poolclass=NullPool)
    try:
        missing = orphans(config, current_heads(engine))
    except SQLAlchemyError:
        missing = set()  # no database to read: the command says so itself if it needs one
    finally:
        engine.dispose()
    if not missing:
        yield
        return
    locations = config.get_main_option("version_locations")
    with tempfile.TemporaryDirectory(prefix="tenantry-orphans-") as folder:
        for revision in sorted(missing):
            name = re.sub(r"\W", "_", revision)
            (Path(folder) / f"{name}.py").write_text(PLACEHOLDER.format(revision=revision))
        config.set_main_option("version_locations", f"{locations} {folder}")
        try:
            yield
        finally:
            config.set_main_option("version_locations", locations)


def draft_revision(
    config: Config, registry: PluginRegistry, message: str, plugin: str | None, autogenerate: bool
) -> Path:
    """Write a new revision file on the core's branch or on ``plugin``'s; return its path.

    Ids are ``NNNN`` (core) or ``<plugin>_NNNN``, in sequence, so files sort and read in
    order; a plugin's first revision starts its branch and depends on the core's.
    """
    if plugin is None:
        branch, prefix, directory = CORE_BRANCH, "", environment() / "versions"
    else:
        entry = registry.loaded.get(plugin)
        if entry is None:
            raise MigrationError(f"plugin {plugin!r} is not loaded, so it has no branch to add to")
        branch, prefix = plugin, f"{plugin}_"
        directory = entry.plugin.migrations or _plugin_versions(entry.package)
        directory.mkdir(parents=True, exist_ok=True)
    script = ScriptDirectory.from_config(config)
    revisions = list(script.walk_revisions())
    taken = [
        int(match.group(1))
        for r in revisions
        if (match := re.fullmatch(rf"{re.escape(prefix)}(\d{{4}})", r.revision))
    ]
    options: dict[str, Any] = {
        "message": message,
        "autogenerate": autogenerate,
        "rev_id": f"{prefix}{1 + max(taken, default=0):04d}",
        "version_path": str(directory),
    }
    if any(branch in r.branch_labels for r in revisions):
        options["head"] = f"{branch}@head"
    else:
        options.update(head="base", branch_label=branch, depends_on=CORE_BRANCH)
    try:
        with _placeholders(config):
            written = command.revision(config, **options)
    except Exception as error:  # alembic's CommandError, or the database for autogenerate
        raise MigrationError(f"cannot draft a revision: {type(error).__name__}: {error}") from error
    assert written is not None and not isinstance(written, list)
    return Path(written.path)


def _plugin_versions(package: str) -> Path:
    spec = find_spec(package)
    assert spec is not None and spec.origin is not None
    return Path(spec.origin).parent / "migrations" / "versions"


def _run(step: Callable[[Config, str], None], config: Config, target: str) -> None:
    try:
        with _placeholders(config):
            step(config, target)
    except Exception as error:  # alembic, the driver or a migration's own code
        raise MigrationError(f"migration failed: {type(error).__name__}: {error}") from error
