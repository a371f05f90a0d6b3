"""Real servers a deployment runs beside tenantry: nginx, HAProxy, PgBouncer, Redis, and a
PostgreSQL primary with a streaming standby.

Each runs its Debian binary with a configuration of its own in a temporary
folder, listens on free loopback ports only, is waited for (bounded) until it
accepts connections, and is stopped by its PID, never as a system service.
PostgreSQL and PgBouncer refuse to run as root, so they run as the
``postgres`` OS user. ``require_binary`` skips a test (or fails it under
``TENANTRY_REQUIRE_POSTGRES=1``, as in CI) when a binary is not installed::

    require_binary(NGINX)
    with Nginx(config_text) as nginx:
        ... nginx.port ...
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import psycopg

from tenantry.testing.servers import free_port

PG_BIN = Path("/usr/lib/postgresql/15/bin")
NGINX = "/usr/sbin/nginx"
HAPROXY = "/usr/sbin/haproxy"
PGBOUNCER = "/usr/sbin/pgbouncer"
REDIS = "/usr/bin/redis-server"
PG_SERVER = str(PG_BIN / "postgres")
#: The Debian packages that bring each binary (what .ci/run installs).
PACKAGES = {
    NGINX: "nginx",
    HAPROXY: "haproxy",
    PGBOUNCER: "pgbouncer",
    REDIS: "redis-server",
    PG_SERVER: "postgresql-15",
}
#: Every daemon here must accept connections within this many seconds of starting.
START_TIMEOUT_S = 30.0
OS_USER = "postgres"


def missing(binary: str) -> str | None:
    """Why ``binary`` cannot be run here, or None."""
    if not os.access(binary, os.X_OK):
        return f"{binary} is not installed (Debian package {PACKAGES.get(binary, '?')})"
    return None


def require_binary(*binaries: str) -> None:
    """Skip the calling test without these binaries, or fail it where they are required."""
    reasons = [reason for binary in binaries if (reason := missing(binary))]
    if not reasons:
        return
    import pytest  # a test-only dependency; benchmarks import this module too

    if os.environ.get("TENANTRY_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"TENANTRY_REQUIRE_POSTGRES=1 but {'; '.join(reasons)}")
    pytest.skip("; ".join(reasons))


def wait_for_port(port: int, process: subprocess.Popen[bytes] | None, timeout: float) -> None:
    """Return once 127.0.0.1:``port`` accepts connections; raise if ``process`` died first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"exited with status {process.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout:.0f} s")


def _as_os_user() -> dict[str, Any]:
    """Popen/run keyword arguments that run a command as the ``postgres`` OS user."""
    if os.geteuid() != 0:
        return {}
    entry = pwd.getpwnam(OS_USER)
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}


def _workdir(prefix: str, for_os_user: bool = False) -> Path:
    path = Path(tempfile.mkdtemp(prefix=f"tenantry-{prefix}-"))
    path.chmod(0o755)  # nginx's workers and the postgres user must be able to enter it
    if for_os_user and os.geteuid() == 0:
        entry = pwd.getpwnam(OS_USER)
        os.chown(path, entry.pw_uid, entry.pw_gid)
    return path


class Daemon:
    """A server process in its own folder, on a free loopback port, stopped by its PID."""

    name = "daemon"
    as_os_user = False

    def __init__(self) -> None:
        self.port = free_port()
        self.workdir = _workdir(self.name, self.as_os_user)
        self.process: subprocess.Popen[bytes] | None = None
        self._log: Any = None

    def argv(self) -> Sequence[str]:
        raise NotImplementedError

    def start(self) -> Daemon:
        self._log = (self.workdir / f"{self.name}.out").open("wb")
        self.process = subprocess.Popen(
            list(self.argv()),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            cwd=self.workdir,
            **(_as_os_user() if self.as_os_user else {}),
        )
        try:
            wait_for_port(self.port, self.process, START_TIMEOUT_S)
        except RuntimeError as error:
            output = self.output()
            self.stop()
            raise RuntimeError(f"{self.name}: {error}\n{output}") from None
        return self

    def output(self) -> str:
        """What the process printed (its log, for a failure message)."""
        path = self.workdir / f"{self.name}.out"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def stop(self, stop_signal: int = signal.SIGTERM) -> None:
        """Signal the process by its PID, wait (bounded), kill it if it lingers; clean up."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(stop_signal)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> Any:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()


class RedisServer(Daemon):
    """A Redis of the test's own (never the shared one on 6379): no persistence."""

    name = "redis"

    def argv(self) -> Sequence[str]:
        return [REDIS, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no", "--dir", str(self.workdir)]  # fmt: skip

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


class _Configured(Daemon):
    """A daemon run with one configuration file of the caller's: ``{port}`` in it is replaced
    by the port it listens on, ``{workdir}`` by its folder."""

    config_name = ""

    def __init__(self, config: str):
        super().__init__()
        self.config = self.workdir / self.config_name
        self.config.write_text(
            config.replace("{port}", str(self.port)).replace("{workdir}", str(self.workdir))
        )


class Nginx(_Configured):
    """nginx in the foreground with ``config`` as its whole configuration."""

    name = "nginx"
    config_name = "nginx.conf"

    def argv(self) -> Sequence[str]:
        return [NGINX, "-p", str(self.workdir), "-c", str(self.config),
                "-e", str(self.workdir / "error.log"), "-g", "daemon off;"]  # fmt: skip


class HAProxy(_Configured):
    """HAProxy in the foreground with ``config``."""

    name = "haproxy"
    config_name = "haproxy.cfg"

    def argv(self) -> Sequence[str]:
        return [HAPROXY, "-db", "-f", str(self.config)]


class PgBouncer(Daemon):
    """PgBouncer in transaction mode in front of a PostgreSQL server, trusting ``users``.

    ``pool_size`` server connections per database and user: keep it small, so that
    many clients share few server connections, as the tests want.
    """

    name = "pgbouncer"
    as_os_user = True

    def __init__(self, server_port: int, users: Sequence[str], pool_size: int = 2):
        super().__init__()
        (self.workdir / "users.txt").write_text("".join(f'"{u}" ""\n' for u in users))
        (self.workdir / "pgbouncer.ini").write_text(
            "[databases]\n"
            f"* = host=127.0.0.1 port={server_port}\n"
            "[pgbouncer]\n"
            f"listen_addr = 127.0.0.1\nlisten_port = {self.port}\nunix_socket_dir =\n"
            f"auth_type = trust\nauth_file = {self.workdir / 'users.txt'}\n"
            f"pool_mode = transaction\ndefault_pool_size = {pool_size}\n"
            "max_client_conn = 500\nserver_reset_query =\n"
            "ignore_startup_parameters = extra_float_digits\n"
        )
        if os.geteuid() == 0:
            entry = pwd.getpwnam(OS_USER)
            for path in self.workdir.iterdir():
                os.chown(path, entry.pw_uid, entry.pw_gid)

    def argv(self) -> Sequence[str]:
        return [PGBOUNCER, str(self.workdir / "pgbouncer.ini")]

    def url_for(self, url: str) -> str:
        """``url`` (a database on the server behind) as reached through this PgBouncer."""
        from sqlalchemy.engine import make_url  # only this helper needs SQLAlchemy here

        return make_url(url).set(host="127.0.0.1", port=self.port).render_as_string(False)


class PostgresCluster(Daemon):
    """A PostgreSQL 15 cluster of the test's own: a new primary (``initdb``) or, given one,
    a streaming standby of it (``pg_basebackup -R``). Superuser ``postgres``, trust auth."""

    name = "postgres"
    as_os_user = True

    def __init__(self, primary: PostgresCluster | None = None):
        super().__init__()
        self.data = self.workdir / "data"
        self.primary = primary
        run = {"check": True, "capture_output": True, **_as_os_user()}
        if primary is None:
            subprocess.run(
                [str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres",
                 "--auth=trust", "-E", "UTF8", "--no-sync"], **run,
            )  # fmt: skip
        else:
            subprocess.run(
                [str(PG_BIN / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary.port),
                 "-U", "postgres", "-D", str(self.data), "-R", "-X", "stream",
                 "--no-sync", "-c", "fast"], **run,
            )  # fmt: skip

    def argv(self) -> Sequence[str]:
        settings = {
            "port": self.port,
            "listen_addresses": "127.0.0.1",
            "unix_socket_directories": str(self.workdir),
            "wal_level": "replica",
            "max_wal_senders": 5,
            "hot_standby": "on",
            "fsync": "off",
            "shared_buffers": "32MB",
            "max_connections": 100,
            "logging_collector": "off",
        }
        return [PG_SERVER, "-D", str(self.data)] + [
            arg for key, value in settings.items() for arg in ("-c", f"{key}={value}")
        ]

    def start(self) -> PostgresCluster:
        """Started once it accepts connections: a standby listens while it is still
        "starting up" (replaying up to a consistent state), longer on a busy machine."""
        super().start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                psycopg.connect(self.url().replace("+psycopg", ""), connect_timeout=2).close()
                return self
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    output = self.output()
                    self.stop()
                    raise RuntimeError(f"postgres never accepted connections\n{output}") from None
                time.sleep(0.1)

    def stop(self, stop_signal: int = signal.SIGINT) -> None:
        """Fast shutdown (SIGINT to the postmaster), then remove the cluster's folder."""
        super().stop(stop_signal)

    def url(self, database: str = "postgres", user: str = "postgres") -> str:
        return f"postgresql+psycopg://{user}@127.0.0.1:{self.port}/{database}"

    def standby(self) -> PostgresCluster:
        """A new streaming standby of this (running) primary, not yet started."""
        return PostgresCluster(primary=self)
