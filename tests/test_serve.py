"""``tenantry serve --workers N``: N processes on consecutive ports, a dead one restarted,
all stopped by one SIGTERM; a worker that cannot start stops the lot with its reason."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tenantry.testing import free_port
from tenantry.testing.processes import get, process_env

ROOT = Path(__file__).resolve().parents[1]


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def answers(port: int) -> bool:
    try:
        return get(port, "/healthz", "127.0.0.1")[0] == 200
    except OSError:
        return False


def wait_until(condition, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def two_free_ports() -> int:
    """A port whose successor is free too."""
    for _ in range(50):
        port = free_port()
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port
    raise AssertionError("no two consecutive free ports")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    url = f"sqlite:///{tmp_path / 'serve.db'}"
    return process_env(url, url, tmp_path, two_free_ports(), TENANTRY_THREADS="2")


def serve(env: dict[str, str], *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "tenantry", "serve", *args],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def test_workers_run_on_consecutive_ports_restart_and_stop_together(env):
    port = int(env["TENANTRY_PORT"])
    supervisor = serve(env, "--workers", "2")
    try:
        assert wait_until(lambda: answers(port) and answers(port + 1)), "workers did not start"
        first, second = sorted(children(supervisor.pid))
        os.kill(first, signal.SIGKILL)
        assert wait_until(lambda: len(children(supervisor.pid)) == 2 and answers(port))
        assert answers(port + 1) and second in children(supervisor.pid)
        supervisor.send_signal(signal.SIGTERM)
        assert supervisor.wait(timeout=20) == 0
    finally:
        if supervisor.poll() is None:
            supervisor.kill()
            supervisor.wait()
    output = supervisor.stdout.read().decode() if supervisor.stdout else ""
    assert f"workers on ports {port}, {port + 1}" in output
    assert "exited with status -9; restarting" in output
    assert not answers(port) and not answers(port + 1)


def test_a_worker_that_cannot_start_stops_the_supervisor_with_its_reason(env):
    port = int(env["TENANTRY_PORT"])
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port + 1))  # taken, yet refusing connections
        supervisor = serve(env, "--workers", "2")
        try:
            status = supervisor.wait(timeout=30)
        finally:
            if supervisor.poll() is None:
                supervisor.kill()
    output = supervisor.stdout.read().decode() if supervisor.stdout else ""
    assert status == 1, output
    assert f"cannot listen on 127.0.0.1:{port + 1}" in output
    assert f"worker on port {port + 1} exited at start-up" in output
    assert not answers(port)
