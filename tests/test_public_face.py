"""Plugins see one public face: ``tenantry`` (plus ``tenantry.admin``, ``tenantry.signals``,
``tenantry.cache``, ``tenantry.jobs`` and, in tests, ``tenantry.testing``), and importing a
plugin stays light."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

import tenantry

REPO = Path(__file__).resolve().parent.parent
SCAFFOLD = REPO / "platform" / "tenantry" / "scaffold"
PUBLIC_MODULES = {
    "tenantry",
    "tenantry.admin",
    "tenantry.signals",
    "tenantry.cache",
    "tenantry.jobs",
}
#: What importing a plugin must not drag in: the CLI, migrations, the admin.
HEAVY = ("tenantry.cli", "tenantry.migrate", "tenantry.admin", "alembic", "flask_admin")


def plugin_sources() -> list[Path]:
    files = [*REPO.glob("plugins/*/**/*.py"), *SCAFFOLD.rglob("*.py.tmpl")]
    return sorted(path for path in files if "/migrations/" not in path.as_posix())


def tenantry_imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every import of a tenantry module in ``path``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        else:
            continue
        found += [(node.lineno, name) for name in names if name.split(".")[0] == "tenantry"]
    return found


@pytest.mark.parametrize("path", plugin_sources(), ids=lambda p: str(p.relative_to(REPO)))
def test_plugins_and_the_scaffold_import_only_the_public_face(path: Path) -> None:
    allowed = PUBLIC_MODULES | ({"tenantry.testing"} if "tests" in path.parts else set())
    strays = [
        f"line {line}: {name}" for line, name in tenantry_imports(path) if name not in allowed
    ]
    assert not strays, f"{path.name} imports tenantry internals: {strays}"


def test_the_check_catches_an_internal_import(tmp_path: Path) -> None:
    module = tmp_path / "bad.py"
    module.write_text("from tenantry.auth.models import User\nfrom tenantry import db\n")
    assert tenantry_imports(module) == [(1, "tenantry.auth.models"), (2, "tenantry")]


@pytest.mark.parametrize("package", ["tenantry_notes", "tenantry_tasks"])
def test_importing_a_plugin_loads_no_cli_migrations_or_admin(package: str) -> None:
    code = f"import sys, json, {package}; print(json.dumps(sorted(sys.modules)))"
    loaded = json.loads(
        subprocess.run(
            [sys.executable, "-c", code], check=True, capture_output=True, text=True
        ).stdout
    )
    heavy = [name for name in loaded if name.startswith(HEAVY)]
    assert heavy == []


def test_every_public_name_resolves() -> None:
    for name in tenantry.__all__:
        assert getattr(tenantry, name) is not None, name


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        tenantry.nope  # noqa: B018
