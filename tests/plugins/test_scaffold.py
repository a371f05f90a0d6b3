"""`tenantry plugins new`: the scaffold is a complete plugin that installs, migrates and passes
its own tests.

The distribution is installed with pip into a folder of its own (``--target``)
that only the subprocesses below put on their path: the interpreter running
this suite never sees the plugin's entry point, so no other test (nor another
xdist worker) discovers it half-way, and nothing has to be uninstalled from the
shared environment afterwards. Every step runs in a fresh interpreter, so the
entry points are read anew, as after a real install.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import pytest
from packaging.version import Version

NAME = "zoo"
CLI = "from tenantry.cli import main; main()"
PASS_THROUGH = ("TENANTRY_TEST_POSTGRES_URL", "TENANTRY_REQUIRE_POSTGRES")


@dataclass
class Scaffolded:
    project: Path
    site: Path
    database: Path
    env: dict[str, str]
    cwd: Path

    def run(self, *args: str, timeout: int = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, *args],
            cwd=self.cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def tenantry(self, *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", CLI, *args],
            cwd=self.cwd,
            env=self.env,
            capture_output=True,
            text=True,
            input=input,
            timeout=120,
        )


def clean_env(root: Path, **extra: str) -> dict[str, str]:
    """This environment without TENANTRY_* settings, pointed at a scratch SQLite database."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("TENANTRY_") or key in PASS_THROUGH
    }
    env.update(
        TENANTRY_ENV="test",
        TENANTRY_SECRET_KEY="scaffold-test-secret-key-0123456789",
        TENANTRY_DATABASE_URL=f"sqlite:///{root / 'zoo.db'}",
        TENANTRY_INSTANCE_PATH=str(root / "instance"),
        **extra,
    )
    return env


def can_build_without_isolation() -> bool:
    """setuptools builds wheels by itself from 70.1; before that it needs ``wheel``."""
    return Version(version("setuptools")) >= Version("70.1") or bool(
        importlib.util.find_spec("wheel")
    )


def must(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def scaffolded(tmp_path_factory: pytest.TempPathFactory) -> Scaffolded:
    root = tmp_path_factory.mktemp("scaffold")
    work = root / "work"
    work.mkdir()
    env = clean_env(root)
    made = subprocess.run(
        [sys.executable, "-c", CLI, "plugins", "new", NAME, "--path", str(root)],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    project = root / f"tenantry-{NAME}"
    assert made.returncode == 0, made.stderr
    assert f"created {project}" in made.stdout

    site = root / "site"
    install = [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site)]
    if can_build_without_isolation():
        install.append("--no-build-isolation")
    # Built from a copy, so the build leftovers (build/, *.egg-info) stay out of the project.
    copy = root / "build-copy"
    shutil.copytree(project, copy)
    installed = subprocess.run(
        [*install, str(copy)], capture_output=True, text=True, timeout=600, cwd=work
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    pythonpath = os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))
    return Scaffolded(project, site, root / "zoo.db", {**env, "PYTHONPATH": pythonpath}, work)


def test_the_template_is_fully_substituted(scaffolded):
    files = sorted(
        str(path.relative_to(scaffolded.project))
        for path in scaffolded.project.rglob("*")
        if path.is_file()
    )
    assert files == [
        "README.md",
        "pyproject.toml",
        "tenantry_zoo/__init__.py",
        "tenantry_zoo/admin.py",
        "tenantry_zoo/migrations/versions/0001_zoo.py",
        "tenantry_zoo/models.py",
        "tenantry_zoo/service.py",
        "tenantry_zoo/settings.py",
        "tenantry_zoo/templates/zoo/index.html",
        "tenantry_zoo/translations/de/LC_MESSAGES/messages.mo",
        "tenantry_zoo/translations/de/LC_MESSAGES/messages.po",
        "tenantry_zoo/views.py",
        "tests/test_zoo.py",
    ]
    for path in scaffolded.project.rglob("*"):
        if path.is_file() and path.suffix != ".mo":  # compiled from the .po checked here
            text = path.read_text()
            for placeholder in ("plugin_name", "plugin-name", "PluginName"):
                assert placeholder not in text, f"{placeholder} left in {path}"
    pyproject = (scaffolded.project / "pyproject.toml").read_text()
    assert 'name = "tenantry-zoo"' in pyproject
    assert 'zoo = "tenantry_zoo:plugin"' in pyproject


def test_the_installed_distribution_carries_templates_and_migrations(scaffolded):
    package = scaffolded.site / "tenantry_zoo"
    assert (package / "templates" / "zoo" / "index.html").is_file()
    assert (package / "migrations" / "versions" / "0001_zoo.py").is_file()
    assert (package / "translations" / "de" / "LC_MESSAGES" / "messages.mo").is_file()
    entry_points = next(scaffolded.site.glob("tenantry_zoo-0.1.0.dist-info")) / "entry_points.txt"
    assert "[tenantry.plugins]\nzoo = tenantry_zoo:plugin" in entry_points.read_text()


def test_the_scaffold_is_ruff_clean(scaffolded):
    if importlib.util.find_spec("ruff") is None:
        pytest.skip("ruff is not installed")
    must(scaffolded.run("-m", "ruff", "check", "--no-cache", str(scaffolded.project)))
    must(scaffolded.run("-m", "ruff", "format", "--check", "--no-cache", str(scaffolded.project)))


def test_it_loads_migrates_and_enables(scaffolded):
    upgraded = must(scaffolded.tenantry("db", "upgrade"))
    assert "zoo_0001" in upgraded
    listing = must(scaffolded.tenantry("plugins", "list"))
    (line,) = [row for row in listing.splitlines() if row.startswith(f"{NAME} ")]
    assert line.split()[:4] == [NAME, "loaded", "0.1.0", "tenantry-zoo"], listing
    with sqlite3.connect(scaffolded.database) as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    assert {"zoo_item", "ix_zoo_item_id", "notes_note", "tasks_task"} <= tables

    assert "models and migrations agree" in must(scaffolded.tenantry("db", "check"))
    assert "up to date" in must(scaffolded.tenantry("db", "current"))

    must(scaffolded.tenantry("tenants", "create", "acme"))
    assert "enabled for 'acme': zoo" in must(
        scaffolded.tenantry("plugins", "enable", NAME, "--tenant", "acme")
    )


def test_its_own_tests_pass(scaffolded):
    # Run from outside the project so the installed copy is what gets imported and tested.
    result = scaffolded.run(
        "-m", "pytest", "-q", "-p", "no:cacheprovider", str(scaffolded.project / "tests")
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert " passed" in result.stdout and "failed" not in result.stdout


def test_db_revision_drafts_the_plugins_next_migration_from_anywhere(scaffolded):
    """After a model change, one command writes the plugin's next revision on its branch."""
    models = scaffolded.site / "tenantry_zoo" / "models.py"
    models.write_text(
        models.read_text().replace(
            "    created_at:",
            "    colour: Mapped[str | None] = mapped_column(String(20))\n    created_at:",
        )
    )
    must(scaffolded.tenantry("db", "upgrade"))
    drafted = must(
        scaffolded.tenantry("db", "revision", "--plugin", NAME, "--autogenerate", "-m", "colour")
    )
    path = scaffolded.site / "tenantry_zoo" / "migrations" / "versions" / "zoo_0002_colour.py"
    assert f"wrote {path}" in drafted
    text = path.read_text()
    assert "revision: str = 'zoo_0002'" in text and "down_revision" in text
    assert "'zoo_0001'" in text and "add_column" in text and "colour" in text
    assert "zoo_0002" in must(scaffolded.tenantry("db", "upgrade"))
    assert "models and migrations agree" in must(scaffolded.tenantry("db", "check"))
