"""`tenantry plugins new`: write a complete plugin distribution from the bundled template."""

from __future__ import annotations

import re
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parent.parent / "scaffold"
NAME = re.compile(r"^[a-z][a-z0-9_]{1,30}$")


class ScaffoldError(Exception):
    pass


def scaffold(name: str, parent: Path) -> Path:
    """Copy the template with ``plugin_name`` replaced by ``name``; return the new folder."""
    if not NAME.match(name):
        raise ScaffoldError(
            f"{name!r} is not a plugin name: 2-31 lowercase letters, digits or underscores"
        )
    target = parent / f"tenantry-{name.replace('_', '-')}"
    if target.exists():
        raise ScaffoldError(f"{target} already exists; choose another name or --path")
    for source in sorted(TEMPLATE.rglob("*")):
        if source.is_dir() or "__pycache__" in source.parts:
            continue
        relative = Path(
            *(part.replace("plugin_name", name) for part in source.relative_to(TEMPLATE).parts)
        )
        destination = target / relative.with_name(relative.name.removesuffix(".tmpl"))
        destination.parent.mkdir(parents=True, exist_ok=True)
        text = source.read_text()
        text = text.replace("plugin-name", name.replace("_", "-")).replace("plugin_name", name)
        text = text.replace("PluginName", name.title().replace("_", ""))
        destination.write_text(text)
    return target
