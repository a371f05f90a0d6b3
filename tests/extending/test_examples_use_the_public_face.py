"""The examples of docs/extending.md import only tenantry's public face."""

from __future__ import annotations

import ast

import pytest
from doc_examples import examples

PUBLIC = {"tenantry", "tenantry.signals", "tenantry.admin", "tenantry.cache", "tenantry.jobs"}
PYTHON = sorted(name for name, (language, _) in examples().items() if language == "python")


@pytest.mark.parametrize("name", PYTHON)
def test_an_example_imports_only_public_tenantry_modules(name: str) -> None:
    modules = []
    for node in ast.walk(ast.parse(examples()[name][1])):
        if isinstance(node, ast.ImportFrom) and node.module:
            modules.append(node.module)
        elif isinstance(node, ast.Import):
            modules += [alias.name for alias in node.names]
    internal = [m for m in modules if m.split(".")[0] == "tenantry" and m not in PUBLIC]
    assert not internal
