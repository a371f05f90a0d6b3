"""What `tenantry serve` prints and how `--reload` behaves."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tenantry.serve import banner
from tenantry.settings import load_settings
from tenantry.testing import free_port


def _settings(tmp_path: Path, **values: object):
    return load_settings(
        secret_key="k" * 40,
        instance_path=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'db.sqlite'}",
        **values,
    )


def test_banner_urls_follow_the_port_when_no_root_host_is_set(tmp_path):
    lines = banner(_settings(tmp_path, port=8123))
    assert "listening on 127.0.0.1:8123" in lines[0]
    urls = [word for line in lines for word in line.split() if word.startswith("http")]
    assert urls and all(url.startswith(("http://localhost:8123/", "http://")) for url in urls)
    assert all(":8123/" in url for url in urls)
    assert not any("127.0.0.1" in url for url in urls)  # the socket answers 400 to that Host


def test_banner_uses_the_configured_root_host_and_https_behind_tls(tmp_path):
    lines = banner(_settings(tmp_path, server_name="example.com", secure_cookies=True))
    assert "  platform:       https://example.com/" in lines
    assert "  a tenant:       https://<slug>.example.com/" in lines


def test_reload_is_refused_in_production(app):
    settings = app.extensions["tenantry.settings"]
    settings.env = "production"
    try:
        with app.app_context():
            result = app.test_cli_runner().invoke(args=["serve", "--reload"])
    finally:
        settings.env = "test"
    assert result.exit_code == 1
    assert "--reload is for development" in result.output
    assert len(result.output.strip().splitlines()) == 1


def _wait_for(predicate, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError("timed out")


def _answers(port: int) -> bool:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/healthz", headers={"Host": f"localhost:{port}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


def test_reload_restarts_the_server_when_a_watched_file_changes(tmp_path):
    port = free_port()
    project = tmp_path / "project"
    (project / "settings").mkdir(parents=True)
    settings_file = project / "settings" / "default.toml"
    settings_file.write_text(f'env = "development"\nport = {port}\nlog_level = "WARNING"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("TENANTRY_")}
    env["TENANTRY_HOME"] = str(project)
    log = tmp_path / "serve.log"
    with log.open("w") as output:
        parent = subprocess.Popen(
            [str(Path(sys.executable).parent / "tenantry"), "serve", "--reload"],
            cwd=tmp_path,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_for(lambda: _answers(port))
        time.sleep(1.1)  # a later modification time, even on coarse file systems
        settings_file.write_text(settings_file.read_text() + "# touched\n")
        _wait_for(lambda: "changed; restarting" in log.read_text())
        _wait_for(lambda: log.read_text().count("listening on") >= 2)
        _wait_for(lambda: _answers(port))
    finally:
        parent.send_signal(signal.SIGTERM)
        parent.wait(timeout=20)
    assert not _answers(port), "the server outlived the reloader"
    assert "Traceback" not in log.read_text()


@pytest.mark.parametrize("suffix", [".py", ".html", ".css", ".toml"])
def test_the_watcher_notices_added_and_changed_files(tmp_path, suffix):
    from tenantry.reloader import changed, snapshot

    before = snapshot([tmp_path])
    target = tmp_path / f"page{suffix}"
    target.write_text("one")
    assert changed(before, snapshot([tmp_path])) == target
    assert changed(snapshot([tmp_path]), snapshot([tmp_path])) is None
