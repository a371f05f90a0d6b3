"""The processes a benchmark runs: ``tenantry db upgrade``, ``python run.py`` and the bare app.

Servers run as subprocesses so the load generator never shares a GIL with
them, configured as in production (``TENANTRY_ENV=production``, waitress with
``THREADS`` threads) and reached on loopback.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from bench.harness.databases import Database
from tenantry.testing import ROOT, Client

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
    env = {k: v for k, v in os.environ.items() if not k.startswith("TENANTRY_")}
    env.update(
        TENANTRY_ENV="production",
        TENANTRY_SECRET_KEY=secrets.token_urlsafe(32),
        TENANTRY_DATABASE_URL=database.app_url,
        TENANTRY_MIGRATIONS_DATABASE_URL=database.owner_url,
        TENANTRY_INSTANCE_PATH=str(workdir / "instance"),
        TENANTRY_SERVER_NAME=f"{ROOT}:{port}",
        TENANTRY_PORT=str(port),
        TENANTRY_THREADS=str(THREADS),
        TENANTRY_LOG_LEVEL="WARNING",
        TENANTRY_TRUSTED_HOSTS=json.dumps([ROOT, f".{ROOT}", f".{DOMAIN_SUFFIX}"]),
    )
    env.update(extra)
    return env


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


def get(port: int, path: str, host: str, token: str = "") -> tuple[int, bytes]:
    """One GET on a fresh connection: (status, body)."""
    client = Client(port, timeout=10)
    try:
        return client.request("GET", path, host, token)
    finally:
        client.close()


class Server:
    """A server subprocess on loopback; ``start`` returns once /healthz answers 200."""

    def __init__(
        self, argv: Sequence[str], env: dict[str, str], port: int, name: str, cwd: Path = REPO
    ):
        self.argv = list(argv)
        self.env = env
        self.port = port
        self.name = name
        self.cwd = cwd
        self.process: subprocess.Popen[bytes] | None = None
        self.log: IO[bytes] | None = None

    def start(self, timeout: float = 30.0) -> float:
        """Start the process; return the seconds until /healthz answered 200."""
        started = time.perf_counter()
        # A file, not a pipe: waitress warns on every queued task under load, and a
        # full pipe nobody reads would block the server.
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (closed by stop)
        self.process = subprocess.Popen(
            self.argv, env=self.env, cwd=self.cwd, stdout=self.log, stderr=subprocess.STDOUT
        )
        while time.perf_counter() - started < timeout:
            if self.process.poll() is not None:
                self.log.seek(0)
                error = self.log.read().decode(errors="replace")[-4000:]
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n{error}")
            try:
                if get(self.port, "/healthz", f"{ROOT}:{self.port}")[0] == 200:
                    return time.perf_counter() - started
            except OSError:
                pass
            time.sleep(0.01)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer /healthz within {timeout:.0f} s")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.log is not None:
            self.log.close()
        self.process = None

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def tenantry_server(env: dict[str, str]) -> Server:
    """``python run.py`` with ``env`` (from ``tenantry_env``), on its ``TENANTRY_PORT``."""
    return Server([PYTHON, "run.py"], env, int(env["TENANTRY_PORT"]), "tenantry")


def bare_server(database: Database, port: int) -> Server:
    """The baseline app (``bench.bare_app``) on ``database``, with as many threads as tenantry."""
    env = dict(os.environ, BARE_DATABASE_URL=database.app_url, BARE_PORT=str(port))
    env["BARE_THREADS"] = str(THREADS)
    return Server([PYTHON, "-m", "bench.bare_app"], env, port, "bare app")
