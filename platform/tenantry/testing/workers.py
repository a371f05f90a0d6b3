"""Jobs under test: a queue of the test's own on a real Redis, and ``tenantry worker --burst``
in a subprocess, configured like the app under test.

Every key RQ writes starts with ``RQ_KEY_PREFIX``, which the pytest plugin sets to a
value of its own per run (before rq is imported), so tests on a shared Redis never see
another run's jobs, and cleaning up deletes only this run's keys.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask

from tenantry.jobs.dispatch import EXTENSION, Queued
from tenantry.settings import ENV_PREFIX, Settings

#: The Redis the job tests use unless TENANTRY_TEST_REDIS_URL says otherwise.
REDIS_URL = os.environ.get("TENANTRY_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def redis_unavailable(url: str = REDIS_URL) -> str | None:
    """Why tests cannot use the Redis at ``url``, or None when they can."""
    try:
        from redis import Redis  # imported here: redis is an optional dependency

        Redis.from_url(url, socket_connect_timeout=1).ping()
    except Exception as error:
        return f"no Redis at {url}: {type(error).__name__}"
    return None


def require_redis(url: str = REDIS_URL) -> None:
    """Skip the calling test without Redis, or fail it where services are required
    (``TENANTRY_REQUIRE_POSTGRES=1``, as in CI)."""
    reason = redis_unavailable(url)
    if reason is None:
        return
    import pytest  # imported here: pytest is a test-only dependency

    if os.environ.get("TENANTRY_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"TENANTRY_REQUIRE_POSTGRES=1 (services required) but {reason}")
    pytest.skip(reason)


def settings_env(settings: Settings, **overrides: Any) -> dict[str, str]:
    """The environment that makes another process load the same settings (plus ``overrides``)."""
    env = dict(os.environ)
    values = settings.model_dump(mode="json") | overrides
    values["secret_key"] = settings.secret_key.get_secret_value() if settings.secret_key else None
    for name, value in values.items():
        key = ENV_PREFIX + name.upper()
        env.pop(key, None)
        if value is not None:
            env[key] = value if isinstance(value, str) else json.dumps(value)
    return env


@dataclass
class JobQueue:
    """The queue a test's jobs go to while ``job_queue`` is open."""

    url: str
    name: str
    queued: Queued

    def job(self, job_id: str) -> Any:
        """The RQ job (status, result, ...) as Redis has it now."""
        from rq.job import Job  # imported here: rq is an optional dependency

        return Job.fetch(
            job_id, connection=self.queued.connection, serializer=self.queued.queue.serializer
        )


@contextmanager
def job_queue(app: Flask, url: str = REDIS_URL) -> Iterator[JobQueue]:
    """Send ``app``'s jobs to a new queue on ``url`` for the block instead of running them
    inline; afterwards delete every key of this test run's RQ prefix."""
    name = f"test-{uuid.uuid4().hex[:12]}"
    queued = Queued(url, name)
    previous = app.extensions[EXTENSION]
    app.extensions[EXTENSION] = queued
    try:
        yield JobQueue(url, name, queued)
    finally:
        app.extensions[EXTENSION] = previous
        from rq.defaults import RQ_KEY_PREFIX  # imported here: rq is an optional dependency

        if RQ_KEY_PREFIX != "rq":  # never sweep a prefix other programs may use
            keys = list(queued.connection.scan_iter(match=f"{RQ_KEY_PREFIX}:*", count=1000))
            if keys:
                queued.connection.delete(*keys)
        queued.connection.close()


def run_worker(
    app: Flask,
    queue: JobQueue,
    *,
    pythonpath: Sequence[Path] = (),
    timeout: float = 60,
    **settings: Any,
) -> subprocess.CompletedProcess[str]:
    """``tenantry worker --burst`` on ``queue`` in a subprocess, with ``app``'s settings (and
    ``settings`` on top): runs every job that is queued or due, then exits. Its log is in
    ``.stdout`` and ``.stderr``; ``pythonpath`` makes the tests' own job modules importable."""
    config: Settings = app.extensions["tenantry.settings"]
    env = settings_env(
        config, jobs_url=queue.url, jobs_queue=queue.name, log_level="INFO", **settings
    )
    if pythonpath:
        env["PYTHONPATH"] = os.pathsep.join([*map(str, pythonpath), env.get("PYTHONPATH", "")])
    return subprocess.run(
        [str(Path(sys.executable).parent / "tenantry"), "worker", "--burst"],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
