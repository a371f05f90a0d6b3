"""Tenantry as separate processes: production-like servers and commands, on loopback.

A server in a thread (``serve_in_thread``) shares the test's interpreter;
several processes behind a balancer, ``kill -9`` of one of them and a CLI
command seen by all of them on their next request need real processes, each
configured only by its environment, as in production::

    env = process_env(app_url, owner_url, tmp_path, port)
    with TenantryServer(env) as server:
        status, body = get(server.port, "/readyz", "127.0.0.1")
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from tenantry.testing.apps import ROOT
from tenantry.testing.load import Client

PYTHON = sys.executable
#: A checkout's root: processes run there, so its settings/ folder applies, as in production.
CHECKOUT = Path(__file__).resolve().parents[3]


def process_env(
    app_url: str, owner_url: str, workdir: Path, port: int, **extra: str
) -> dict[str, str]:
    """The environment of a production-like tenantry process (``TENANTRY_ENV=production``)
    on a database; ``extra`` adds or overrides ``TENANTRY_*`` variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TENANTRY_")}
    env.update(
        TENANTRY_ENV="production",
        TENANTRY_SECRET_KEY=secrets.token_urlsafe(32),
        TENANTRY_DATABASE_URL=app_url,
        TENANTRY_MIGRATIONS_DATABASE_URL=owner_url,
        TENANTRY_INSTANCE_PATH=str(workdir / "instance"),
        TENANTRY_SERVER_NAME=f"{ROOT}:{port}",
        TENANTRY_PORT=str(port),
        TENANTRY_LOG_LEVEL="WARNING",
        TENANTRY_TRUSTED_HOSTS=json.dumps([ROOT, f".{ROOT}"]),
    )
    env.update(extra)
    return env


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
        self,
        argv: Sequence[str],
        env: dict[str, str],
        port: int,
        name: str,
        cwd: Path | None = None,
    ):
        """``cwd``: where the process runs; default this checkout, when there is one."""
        self.argv = list(argv)
        self.env = env
        self.port = port
        self.name = name
        self.cwd = (
            cwd if cwd is not None else (CHECKOUT if (CHECKOUT / "settings").is_dir() else None)
        )
        self.process: subprocess.Popen[bytes] | None = None
        self.log: IO[bytes] | None = None

    def start(self, timeout: float = 30.0) -> float:
        """Start the process; return the seconds until /healthz answered 200."""
        started = time.perf_counter()
        # A file, not a pipe: waitress warns on every queued task under load, and a
        # full pipe nobody reads would block the server.
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (closed by stop)
        self.process = subprocess.Popen(
            self.argv,
            env=self.env,
            cwd=self.cwd,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        while time.perf_counter() - started < timeout:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with {self.process.returncode}:\n{self.output()}"
                )
            try:
                if get(self.port, "/healthz", f"127.0.0.1:{self.port}")[0] == 200:
                    return time.perf_counter() - started
            except OSError:
                pass
            time.sleep(0.01)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer /healthz within {timeout:.0f} s")

    @property
    def pid(self) -> int:
        assert self.process is not None, f"{self.name} is not running"
        return self.process.pid

    def kill(self) -> None:
        """``kill -9``: no goodbye, as a crash or the OOM killer would end it."""
        os.kill(self.pid, signal.SIGKILL)
        assert self.process is not None
        self.process.wait()

    def output(self) -> str:
        """What the process printed so far (its last 4,000 characters)."""
        if self.log is None:
            return ""
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
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


def tenantry_server(env: dict[str, str], name: str = "tenantry") -> Server:
    """``tenantry serve`` with ``env`` (from ``process_env``), on its ``TENANTRY_PORT``."""
    return Server([PYTHON, "-m", "tenantry", "serve"], env, int(env["TENANTRY_PORT"]), name)
