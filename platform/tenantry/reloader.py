"""``tenantry serve --reload``: restart the development server when its files change.

A small watcher rather than werkzeug's reloader: werkzeug's lives in a private module
(``werkzeug._reloader``) and restarts the process it runs in, while this one keeps the
real server (waitress, as in production) in a child process and restarts that child.
It polls modification times twice a second: the core's package and every installed
plugin's package (code, templates, static files), the settings files and ``.env``.
Polling needs no extra dependency and behaves the same on every file system; a few
hundred ``stat`` calls a second cost nothing measurable. A child that fails to start
(a syntax error mid-edit) is simply started again after the next change.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from importlib.metadata import entry_points
from importlib.util import find_spec
from pathlib import Path

WATCHED_SUFFIXES = frozenset({".py", ".html", ".jinja", ".css", ".js", ".toml", ".json"})
INTERVAL = 0.5
STOP_TIMEOUT = 10.0


def plugin_folders() -> list[Path]:
    """The package folder of every installed plugin, found without importing it."""
    folders = []
    for point in entry_points(group="tenantry.plugins"):
        spec = find_spec(point.module.split(".")[0])
        if spec is not None and spec.submodule_search_locations:
            folders += [Path(location) for location in spec.submodule_search_locations]
    return folders


def snapshot(roots: Iterable[Path]) -> dict[Path, float]:
    """Modification time of every watched file under ``roots`` (files may be roots too)."""
    found: dict[Path, float] = {}
    for root in roots:
        candidates = [root] if root.is_file() else root.rglob("*")
        for path in candidates:
            if path.suffix in WATCHED_SUFFIXES or path.name == ".env":
                try:
                    found[path] = path.stat().st_mtime
                except OSError:  # removed while we looked
                    continue
    return found


def changed(before: dict[Path, float], after: dict[Path, float]) -> Path | None:
    """One file that was added, removed or modified, or None."""
    for path in before.keys() | after.keys():
        if before.get(path) != after.get(path):
            return path
    return None


def _stop(child: subprocess.Popen[bytes]) -> None:
    if child.poll() is None:
        child.terminate()
        try:
            child.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def _interrupted(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def run(command: Sequence[str], roots: Sequence[Path], env: dict[str, str]) -> None:
    """Run ``command`` and start it again whenever a file under ``roots`` changes.

    Ctrl-C or SIGTERM stops the child too: a server left behind would hold the port.
    """
    signal.signal(signal.SIGTERM, _interrupted)
    print(f"reloading on changes under: {', '.join(str(r) for r in roots)}", flush=True)
    child: subprocess.Popen[bytes] | None = None
    try:
        while True:
            before = snapshot(roots)
            child = subprocess.Popen(command, env=env)
            while (path := changed(before, snapshot(roots))) is None:
                time.sleep(INTERVAL)
            print(f"{path} changed; restarting", flush=True)
            _stop(child)
    except KeyboardInterrupt:
        sys.exit(0)
    finally:
        if child is not None:
            _stop(child)
