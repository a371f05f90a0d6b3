"""Serving with waitress: the production entry (run.py, `tenantry serve`).

One process is waitress with a thread pool. ``workers = N`` runs N such
processes on ``port``, ``port + 1``, ... under a small supervisor that
restarts one that dies and stops them all on SIGTERM or Ctrl-C; a balancer in
front (``deploy/``) spreads requests over those ports. Each process is its
own interpreter: no GIL shared, and a crash takes down one only.

With metrics on, the supervisor gives its workers one folder for their metrics files
(``PROMETHEUS_MULTIPROC_DIR``: the operator's, emptied first, or a temporary one), so
a scrape of any worker sums them all; it empties the folder again when it stops.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import Any

from flask import Flask
from prometheus_client.multiprocess import mark_process_dead
from waitress.server import create_server

from tenantry.settings import ENV_PREFIX, Settings

#: A worker that lived longer than this is restarted after a second, sooner ones back off.
STEADY_S = 5.0
#: Seconds the supervisor gives its workers to finish their requests before killing them.
STOP_TIMEOUT_S = 10.0
MAX_BACKOFF_S = 30.0
#: The prometheus-client variable naming the folder the workers share their metrics in.
MULTIPROC_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


class ServeError(Exception):
    """The server could not start; the message says what to change."""


def _address(settings: Settings, slug: str | None = None) -> str:
    """The address of the platform (or of tenant ``slug``) as a browser reaches it."""
    scheme = "https" if settings.secure_cookies else "http"
    host = f"{slug}.{settings.server_name}" if slug else settings.server_name
    return f"{scheme}://{host}/"


def banner(settings: Settings) -> list[str]:
    """What the server prints on start: where it listens, and URLs that answer there.

    The socket address itself is not a URL to open: the app answers only its root
    host and the tenants' hosts (others get 400), so only those are printed as links.
    """
    root = _address(settings)
    lines = [
        f"Tenantry ({settings.env}) listening on {settings.host}:{settings.port}"
        f" (pid {os.getpid()})",
        f"  platform:       {root}",
        f"  platform admin: {root}admin/",
        f"  a tenant:       {_address(settings, '<slug>')}",
    ]
    if settings.env == "development":
        lines.append(f"  the demo:       {_address(settings, 'demo')}  (after `tenantry demo`)")
    if settings.jobs_url:
        lines.append(f"  jobs:           queue {settings.jobs_queue!r}; run `tenantry worker`")
    else:
        lines.append(
            "  jobs:           run here, right after each commit (no worker: set "
            "TENANTRY_JOBS_URL and run `tenantry worker` to move them out)"
        )
    return lines


def waitress_server(app: Flask, host: str, port: int, threads: int) -> Any:
    """The waitress server as production runs it (tests serve through this one too)."""
    return create_server(
        app,
        host=host,
        port=port,
        threads=threads,
        ident="tenantry",
        # The app's own middleware decides which forwarded headers to believe
        # (tenantry.proxies), the same under any WSGI server.
        clear_untrusted_proxy_headers=False,
    )


def serve(app: Flask, settings: Settings) -> None:
    """Serve ``app`` in this process until SIGTERM or Ctrl-C, then let running requests end."""
    try:
        server = waitress_server(app, settings.host, settings.port, settings.threads)
    except OSError as error:
        raise ServeError(
            f"cannot listen on {settings.host}:{settings.port}: {error.strerror}; "
            "stop what uses it or set TENANTRY_PORT"
        ) from None
    # waitress shuts its threads down (running requests finish) on SIGTERM.
    signal.signal(signal.SIGTERM, _exit)
    for line in banner(settings):
        print(line, flush=True)
    server.run()


def _exit(_signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(0)


def supervise(command: Sequence[str], settings: Settings) -> int:
    """Run ``settings.workers`` copies of ``command`` (a one-process ``tenantry serve``) on
    consecutive ports; return the exit status once stopped."""
    return _Supervisor(list(command), settings).run()


class _Worker:
    def __init__(self, host: str, port: int):
        self.address = ("127.0.0.1" if host in ("0.0.0.0", "") else host, port)
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None
        self.started = 0.0
        self.restarts = 0
        self.due = 0.0  # when a dead worker may start again
        self.served = False  # has it ever accepted a connection?

    def listening(self) -> bool:
        if not self.served:
            try:
                socket.create_connection(self.address, timeout=0.2).close()
                self.served = True
            except OSError:
                pass
        return self.served


class _Supervisor:
    def __init__(self, command: list[str], settings: Settings):
        self.command = command
        self.workers = [_Worker(settings.host, settings.port + n) for n in range(settings.workers)]
        self.stopping = False
        self.metrics = _MetricsFolder() if settings.metrics_enabled else None

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        ports = ", ".join(str(w.port) for w in self.workers)
        print(f"Tenantry supervisor (pid {os.getpid()}): workers on ports {ports}", flush=True)
        try:
            for worker in self.workers:
                self._start(worker)
            status = 0
            while not (self.stopping or status):
                time.sleep(0.2)
                for worker in self.workers:
                    status = status or self._watch(worker)
            self._stop_all()
        finally:
            if self.metrics is not None:
                self.metrics.close()
        return status

    def _watch(self, worker: _Worker) -> int:
        now = time.monotonic()
        if worker.process is None:
            if now >= worker.due:
                self._start(worker)
            return 0
        code = worker.process.poll()
        if code is None:
            worker.listening()
            return 0
        if not worker.served and code > 0:
            # It failed before it ever listened: the settings or the port, which a restart
            # will not fix. (Killed by a signal, it is restarted like any other.)
            print(
                f"worker on port {worker.port} exited at start-up (status {code}); stopping",
                file=sys.stderr,
                flush=True,
            )
            return code or 1
        lived = now - worker.started
        backoff = 1.0 if lived > STEADY_S else min(MAX_BACKOFF_S, 2.0**worker.restarts)
        print(
            f"worker on port {worker.port} (pid {worker.process.pid}) exited with status "
            f"{code}; restarting in {backoff:.0f} s",
            file=sys.stderr,
            flush=True,
        )
        if self.metrics is not None:
            mark_process_dead(worker.process.pid, str(self.metrics.path))
        worker.process = None
        worker.restarts += 1
        worker.due = now + backoff
        return 0

    def _start(self, worker: _Worker) -> None:
        env = dict(
            os.environ, **{ENV_PREFIX + "PORT": str(worker.port), ENV_PREFIX + "WORKERS": "1"}
        )
        if self.metrics is not None:
            env[MULTIPROC_VARIABLE] = str(self.metrics.path)
        worker.process = subprocess.Popen(self.command, env=env)
        worker.started = time.monotonic()

    def _stop(self, _signum: int, _frame: FrameType | None) -> None:
        self.stopping = True

    def _stop_all(self) -> None:
        running = [w.process for w in self.workers if w.process and w.process.poll() is None]
        for process in running:
            process.terminate()
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for process in running:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


class _MetricsFolder:
    """Where the workers write their metrics: the operator's ``PROMETHEUS_MULTIPROC_DIR``
    (emptied of the last run's files, which would otherwise be added to this run's), or
    a temporary folder, removed at the end."""

    def __init__(self) -> None:
        named = os.environ.get(MULTIPROC_VARIABLE)
        self.owned = not named
        self.path = Path(named) if named else Path(tempfile.mkdtemp(prefix="tenantry-metrics-"))
        self.path.mkdir(parents=True, exist_ok=True)
        self._empty()

    def _empty(self) -> None:
        for stale in self.path.glob("*.db"):
            stale.unlink(missing_ok=True)

    def close(self) -> None:
        if self.owned:
            shutil.rmtree(self.path, ignore_errors=True)
        else:
            self._empty()
