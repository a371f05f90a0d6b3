"""The processes a benchmark runs: ``tenantry db upgrade``, ``python run.py`` and the bare app.

Servers run as subprocesses so the load generator never shares a GIL with
them, configured as in production (``TENANTRY_ENV=production``, waitress with
``THREADS`` threads) and reached on loopback.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from bench.harness.databases import Database
from tenantry.testing import ROOT
from tenantry.testing.processes import Server, get, process_env

__all__ = ["Server", "bare_server", "get", "migrate", "tenantry_env", "tenantry_server"]

REPO = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
BIN = Path(PYTHON).parent
THREADS = 8
#: Custom domains given to seeded tenants (requests to them go through the Domain table).
DOMAIN_SUFFIX = "bench.test"


def tenantry_env(
    database: Database, workdir: Path, port: int = 8000, **extra: str
) -> dict[str, str]:
    """The environment of a production-like tenantry process on this database."""
    return process_env(
        database.app_url,
        database.owner_url,
        workdir,
        port,
        TENANTRY_THREADS=str(THREADS),
        TENANTRY_TRUSTED_HOSTS=json.dumps([ROOT, f".{ROOT}", f".{DOMAIN_SUFFIX}"]),
        **extra,
    )


def migrate(env: dict[str, str], cwd: Path = REPO) -> float:
    """Run ``tenantry db upgrade`` as a user would; return its wall time in seconds."""
    started = time.perf_counter()
    done = subprocess.run(
        [str(BIN / "tenantry"), "db", "upgrade"], env=env, cwd=cwd, capture_output=True, text=True
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"tenantry db upgrade failed:\n{done.stdout}\n{done.stderr}")
    return elapsed


def tenantry_server(env: dict[str, str]) -> Server:
    """``python run.py`` with ``env`` (from ``tenantry_env``), on its ``TENANTRY_PORT``."""
    return Server([PYTHON, "run.py"], env, int(env["TENANTRY_PORT"]), "tenantry")


def bare_server(database: Database, port: int) -> Server:
    """The baseline app (``bench.bare_app``) on ``database``, with as many threads as tenantry."""
    env = dict(os.environ, BARE_DATABASE_URL=database.app_url, BARE_PORT=str(port))
    env["BARE_THREADS"] = str(THREADS)
    return Server([PYTHON, "-m", "bench.bare_app"], env, port, "bare app")
