"""The ``example`` fixture: the examples of docs/extending.md, run as they are written."""

from __future__ import annotations

import sys
import tomllib
import types
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from doc_examples import DOC, examples


@pytest.fixture
def example() -> Iterator[Callable[[str], Any]]:
    """``example(NAME)``: the settings of a TOML block, or the module a Python block makes
    (registered under its dotted name, with its packages, until the test ends)."""
    added: list[str] = []

    def load(name: str) -> Any:
        language, code = examples()[name]
        if language == "toml":
            return tomllib.loads(code)
        first = code.splitlines()[0]
        assert first.startswith("# ") and first.endswith(".py"), f"{name}: name its file first"
        dotted = first[2:].removesuffix(".py").replace("/", ".")
        parts = dotted.split(".")
        for depth in range(1, len(parts)):
            package = ".".join(parts[:depth])
            if package not in sys.modules:
                sys.modules[package] = types.ModuleType(package)
                sys.modules[package].__path__ = []
                added.append(package)
        module = types.ModuleType(dotted)
        module.__file__ = str(DOC)
        sys.modules[dotted] = module
        added.append(dotted)
        if len(parts) > 1:
            setattr(sys.modules[".".join(parts[:-1])], parts[-1], module)
        exec(compile(code, f"{DOC}:{name}", "exec"), module.__dict__)
        return module

    yield load
    for name in reversed(added):
        sys.modules.pop(name, None)
