"""The bench's own plugin (``bench/publicpage``), made visible to the bench's processes only.

Not a dependency of the product and never installed into the venv: installed there,
the product's tests would discover it like any plugin (a test that lists every table
fails with it, measured). ``ensure_installed()`` builds it once per run into a
temporary folder (``pip install --no-deps --target``) and puts that folder on this
process's ``sys.path`` (for apps served in-process) and ``PYTHONPATH``, which every
server and ``tenantry db upgrade`` the bench starts inherits: they find it through its
entry point as they would an installed plugin. Call it before the scenario migrates.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
from functools import cache
from importlib.metadata import PackageNotFoundError, distribution

from bench.harness.servers import PYTHON, REPO

DISTRIBUTION = "tenantry-publicpage"
PLUGIN = "publicpage"
FOLDER = REPO / "bench" / "publicpage"


@cache
def ensure_installed() -> None:
    """Make the plugin importable by this process (benchmarks that serve in-process) and
    the processes it starts, once per run."""
    if _installed():
        return  # installed by hand (pip install -e bench/publicpage): a second copy would clash
    target = tempfile.mkdtemp(prefix="tenantry-publicpage-")
    atexit.register(shutil.rmtree, target, ignore_errors=True)
    done = subprocess.run(
        [PYTHON, "-m", "pip", "install", "--quiet", "--no-deps", "--target", target, str(FOLDER)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"could not build {DISTRIBUTION}:\n{done.stdout}{done.stderr}")
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [target, os.environ.get("PYTHONPATH")]))
    sys.path.insert(0, target)


def _installed() -> bool:
    try:
        distribution(DISTRIBUTION)
    except PackageNotFoundError:
        return False
    return True
