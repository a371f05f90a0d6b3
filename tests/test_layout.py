"""Where code may live and what it may import: rules about the tree, checked on every run.

platform/ is a folder, not a package: the standard library's platform module
must win. Tests use the testing kit, never the benchmarks (which need not be
shipped or importable where tests run); benchmarks use the kit's plain helpers,
never its pytest plugin, which would drag pytest and its fixtures into them.
"""

from __future__ import annotations

import ast
import platform
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FIXTURES = "tenantry.testing.fixtures"


def imported_modules(path: Path) -> Iterator[str]:
    """Every module a file imports, by full dotted name (``from a import b`` gives a and a.b)."""
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def offending(folder: str, forbidden: str) -> list[str]:
    """``file: module`` for each import of ``forbidden`` (or a module below it) under ``folder``."""
    return [
        f"{path.relative_to(REPO)}: {module}"
        for path in sorted((REPO / folder).rglob("*.py"))
        for module in imported_modules(path)
        if module == forbidden or module.startswith(f"{forbidden}.")
    ]


def test_stdlib_platform_module_is_not_shadowed():
    assert platform.system()
    assert hasattr(platform, "python_version")


@pytest.mark.parametrize("folder", ["tests", "plugins"])
def test_tests_never_import_the_benchmarks(folder):
    assert offending(folder, "bench") == []


def test_benchmarks_never_import_the_pytest_plugin():
    assert offending("bench", FIXTURES) == []


def test_testing_kit_imports_without_pytest():
    code = "import sys, tenantry.testing; print('pytest' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
