"""The cache across processes and through an outage, on real Redis servers.

Invalidation reaches every process: a second process (the ``tenantry cache invalidate``
command) drops an entry the first one reads next. A Redis that stops answering (one this
test starts on a free port and then stops) turns the cache off: pages are computed, never
a 500, and come back from the cache once it is reachable again.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from tenantry import cache, db, tenant_context
from tenantry.cache.stores import RedisStore
from tenantry.testing import REDIS_URL, csrf_token, free_port, require_redis, settings_env
from tenantry_notes.models import Note

TENANTRY = str(Path(sys.executable).parent / "tenantry")
#: A Redis that keeps nothing on disk.
SCRATCH = ("--save", "", "--appendonly", "no")


@pytest.fixture
def shared(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[RedisStore]:
    """The app's cache on the shared Redis, under a key prefix of this test's own."""
    require_redis()
    prefix = f"tenantry-test-{uuid.uuid4().hex[:10]}"
    store = RedisStore(REDIS_URL, prefix)
    monkeypatch.setitem(app.extensions, cache.EXTENSION, store)
    monkeypatch.setattr(app.extensions["tenantry.settings"], "cache_url", REDIS_URL)
    monkeypatch.setattr(app.extensions["tenantry.settings"], "cache_prefix", prefix)
    yield store
    keys = list(store._client.scan_iter(match=f"{prefix}:*", count=1000))
    if keys:
        store._client.delete(*keys)


def test_an_invalidation_in_another_process_is_seen_on_the_next_read(
    app, shared, make_tenant, tmp_path
):
    acme, globex = make_tenant("acme"), make_tenant("globex")
    with app.app_context():
        for tenant in (acme, globex):
            with tenant_context(tenant):
                cache.set("notes.dashboard", "recent", f"{tenant.slug}'s", 300)
        done = subprocess.run(
            [TENANTRY, "cache", "invalidate", "notes.dashboard", "--tenant", "acme"],
            env=settings_env(app.extensions["tenantry.settings"]),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        with tenant_context(acme):
            assert cache.get("notes.dashboard", "recent") is None
        with tenant_context(globex):
            assert cache.get("notes.dashboard", "recent") == "globex's"


class RedisServer:
    """A redis-server of the test's own on a free loopback port, stopped by its PID."""

    def __init__(self, port: int):
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.process = subprocess.Popen(
            [binary, *("--port", str(self.port), "--bind", "127.0.0.1"), *SCRATCH],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        import redis

        while time.monotonic() < deadline:
            try:
                redis.Redis(port=self.port, socket_connect_timeout=0.2).ping()
                return
            except redis.RedisError:
                time.sleep(0.05)
        self.stop()
        pytest.fail("redis-server did not start within 10 s")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    if shutil.which("redis-server") is None and not Path("/usr/bin/redis-server").exists():
        reason = "redis-server is not installed (apt-get install redis-server)"
        if os.environ.get("TENANTRY_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"TENANTRY_REQUIRE_POSTGRES=1 (services required) but {reason}")
        pytest.skip(reason)
    server = RedisServer(free_port())
    server.start()
    yield server
    server.stop()


def test_a_cache_outage_degrades_to_computing_never_a_500(
    app, own_redis, make_tenant, make_user, tenant_client, login, monkeypatch, caplog
):
    store = RedisStore(own_redis.url, "outage", retry_after=0.2)
    monkeypatch.setitem(app.extensions, cache.EXTENSION, store)
    acme = make_tenant("acme", plugins=["notes", "tasks"])
    client = tenant_client(acme)
    login(client, make_user(acme))
    with app.app_context(), tenant_context(acme):
        note = Note(title="Outage", body="*still* rendered")
        db.session.add(note)
        db.session.commit()
        path = f"/notes/{note.id}"
    assert "<em>still</em>" in client.get(path).get_data(as_text=True)  # cached now
    own_redis.stop()
    with caplog.at_level(logging.WARNING, logger="tenantry.cache"):
        page = client.get(path)
        assert page.status_code == 200 and "<em>still</em>" in page.get_data(as_text=True)
        home = client.get("/")
        assert home.status_code == 200 and "Outage" in home.get_data(as_text=True)
        edited = client.post(
            f"{path}/edit",
            data={"title": "Outage", "body": "*edited*", "csrf_token": csrf_token(client, path)},
        )
        assert edited.status_code == 302
        assert "<em>edited</em>" in client.get(path).get_data(as_text=True)
    assert "cache unreachable" in caplog.text
    own_redis.start()  # same port: the cache is used again once it answers
    time.sleep(0.3)
    client.get(path)
    with app.app_context(), tenant_context(acme):
        assert cache.store() is store
        key = [k for k in store._client.scan_iter(match="outage:cache:*:notes.html:*")]
        assert key, "the page was cached again after the outage"


def test_the_invalidate_command_needs_one_tenant_or_all_and_a_valid_namespace(app, make_tenant):
    make_tenant("acme")
    runner = app.test_cli_runner()
    with app.app_context():
        neither = runner.invoke(args=["cache", "invalidate", "notes.html"])
        bad = runner.invoke(args=["cache", "invalidate", "Bad Name", "--tenant", "acme"])
        unknown = runner.invoke(args=["cache", "invalidate", "notes.html", "--tenant", "nope"])
        everyone = runner.invoke(args=["cache", "invalidate", "notes.html", "--all-tenants"])
    assert neither.exit_code == 1 and "--tenant SLUG" in neither.output
    assert bad.exit_code == 1 and "cache namespace 'Bad Name'" in bad.output
    assert unknown.exit_code == 1 and "no tenant with slug 'nope'" in unknown.output
    assert everyone.exit_code == 0 and "invalidated for 1 tenant(s)" in everyone.output
