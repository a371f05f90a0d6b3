"""The bench's own plugin (``bench/publicpage``), installed into this venv on first use.

Not a dependency of the product and not installed by ``make install``: the
product's tests never see it. A benchmark that serves the public page calls
``ensure_installed()`` before it migrates, so ``tenantry db upgrade`` and the
servers (new processes) discover it through its entry point.
"""

from __future__ import annotations

import subprocess
from importlib.metadata import PackageNotFoundError, distribution

from bench.harness.servers import PYTHON, REPO

DISTRIBUTION = "tenantry-publicpage"
PLUGIN = "publicpage"
FOLDER = REPO / "bench" / "publicpage"


def ensure_installed() -> None:
    """``pip install --no-deps -e bench/publicpage`` unless it is installed already."""
    if _installed():
        return
    print(f"installing {DISTRIBUTION} (editable, from {FOLDER})", flush=True)
    done = subprocess.run(
        [PYTHON, "-m", "pip", "install", "--quiet", "--no-deps", "-e", str(FOLDER)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"could not install {DISTRIBUTION}:\n{done.stdout}{done.stderr}")


def _installed() -> bool:
    try:
        distribution(DISTRIBUTION)
    except PackageNotFoundError:
        return False
    return True
