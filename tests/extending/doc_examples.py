"""The marked examples of docs/extending.md: ``<!-- example: NAME -->`` before a block.

A block is either Python whose first line names its file (``# mysite/web.py``), loaded
as that module by the ``example`` fixture (conftest), or TOML settings, read as a dict.
"""

from __future__ import annotations

import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "extending.md"
BLOCK = re.compile(r"<!-- example: ([\w-]+) -->\s*```(python|toml)\n(.*?)```", re.DOTALL)


def examples() -> dict[str, tuple[str, str]]:
    """Every marked block of the document: name -> (language, code)."""
    found = {name: (language, code) for name, language, code in BLOCK.findall(DOC.read_text())}
    assert found, f"no marked examples in {DOC}"
    return found
