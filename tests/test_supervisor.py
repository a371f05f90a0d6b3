"""``tenantry serve --workers N`` (the supervisor): N processes on consecutive ports, a
dead one restarted, all stopped by one SIGTERM; a worker that cannot start stops the lot.

The supervisor's own rules are checked with a stand-in worker that starts in milliseconds
(Python's http.server on ``TENANTRY_PORT``); one test runs the real thing end to end.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tenantry.testing import free_port
from tenantry.testing.processes import ROOT as ROOT_HOST
from tenantry.testing.processes import get, process_env

ROOT = Path(__file__).resolve().parents[1]
#: A worker that only listens on its port, as ``tenantry serve`` would.
STAND_IN = f'exec {sys.executable} -m http.server --bind 127.0.0.1 "$TENANTRY_PORT"'
SUPERVISE = (
    "import sys\n"
    "from tenantry.serve import supervise\n"
    "from tenantry.settings import load_settings\n"
    f"sys.exit(supervise(['sh', '-c', {STAND_IN!r}], load_settings()))\n"
)


def children(pid: int) -> list[int]:
    """The live processes whose parent is ``pid`` (Linux /proc; zombies left out)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == pid and stat[0] != "Z":
                found.append(int(entry.name))
    return found


def answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def wait_until(condition: Callable[[], bool], timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
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
    return process_env(
        url, url, tmp_path, two_free_ports(), TENANTRY_THREADS="2", TENANTRY_WORKERS="2"
    )


def start(env: dict[str, str], argv: list[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        argv, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )


def finish(process: subprocess.Popen[bytes], timeout: float = 30) -> tuple[int, str]:
    """Wait for the process (killing it past ``timeout``); its status and output."""
    try:
        status = process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        status = process.wait()
    output = process.stdout.read().decode() if process.stdout else ""
    return status, output


def test_tenantry_serve_with_workers_serves_on_two_ports_and_stops_on_sigterm(env):
    port = int(env["TENANTRY_PORT"])
    supervisor = start(env, [sys.executable, "-m", "tenantry", "serve", "--workers", "2"])
    try:
        up = wait_until(lambda: answers(port) and answers(port + 1))
        statuses = [get(p, "/healthz", "127.0.0.1")[0] for p in (port, port + 1)] if up else []
    finally:
        supervisor.send_signal(signal.SIGTERM)
    status, output = finish(supervisor)
    assert statuses == [200, 200], output
    assert status == 0, output
    assert f"workers on ports {port}, {port + 1}" in output
    assert not answers(port) and not answers(port + 1)


def test_two_workers_share_their_metrics_and_a_scrape_of_either_sums_both(env, tmp_path):
    port = int(env["TENANTRY_PORT"])
    folder = tmp_path / "metrics"
    folder.mkdir()
    (folder / "counter_1.db").write_bytes(b"a previous run's counts")
    env = dict(env, PROMETHEUS_MULTIPROC_DIR=str(folder))
    supervisor = start(env, [sys.executable, "-m", "tenantry", "serve", "--workers", "2"])
    try:
        assert wait_until(lambda: answers(port) and answers(port + 1)), "workers did not start"
        for worker, times in ((port, 3), (port + 1, 2)):
            for _ in range(times):
                assert get(worker, "/no-such-page", ROOT_HOST)[0] == 404
        scrapes = [get(worker, "/metrics", ROOT_HOST) for worker in (port, port + 1)]
        files_while_running = sorted(p.name for p in folder.glob("counter_*.db"))
    finally:
        supervisor.send_signal(signal.SIGTERM)
    status, output = finish(supervisor)
    assert status == 0, output
    line = 'tenantry_requests_total{group="unmatched",status="4xx"} 5.0'
    for code, body in scrapes:
        assert code == 200
        assert line in body.decode(), body.decode()
    assert len(files_while_running) == 2  # one per worker; the stale file was removed first
    assert list(folder.glob("*.db")) == []  # and theirs when the supervisor stopped


def test_a_killed_worker_is_restarted_and_sigterm_stops_them_all(env):
    port = int(env["TENANTRY_PORT"])
    supervisor = start(env, [sys.executable, "-c", SUPERVISE])
    try:
        assert wait_until(lambda: answers(port) and answers(port + 1)), "workers did not start"
        assert wait_until(lambda: len(children(supervisor.pid)) == 2)
        killed, kept = sorted(children(supervisor.pid))
        os.kill(killed, signal.SIGKILL)
        assert wait_until(lambda: killed not in children(supervisor.pid))
        assert wait_until(lambda: len(children(supervisor.pid)) == 2 and answers(port))
        assert kept in children(supervisor.pid) and answers(port + 1)
    finally:
        supervisor.send_signal(signal.SIGTERM)
    status, output = finish(supervisor)
    assert status == 0, output
    assert "exited with status -9; restarting in 1 s" in output
    assert not answers(port) and not answers(port + 1)


def test_a_worker_that_cannot_start_stops_the_supervisor_with_its_reason(env):
    port = int(env["TENANTRY_PORT"])
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port + 1))  # taken, yet refusing connections
        status, output = finish(start(env, [sys.executable, "-c", SUPERVISE]))
    assert status == 1, output
    assert f"worker on port {port + 1} exited at start-up (status 1); stopping" in output
    assert not answers(port)


def test_a_taken_port_is_refused_with_what_to_do(env):
    port = int(env["TENANTRY_PORT"])
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        status, output = finish(start(env | {"TENANTRY_WORKERS": "1"}, [sys.executable, "run.py"]))
    assert status == 1, output
    assert f"cannot listen on 127.0.0.1:{port}" in output and "TENANTRY_PORT" in output
