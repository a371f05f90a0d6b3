"""How long from ``jobs.enqueue`` (its commit) to the job done, through Redis and a worker.

A real ``tenantry worker`` runs in a subprocess on a queue (and RQ key prefix) of this
run's own. This process enqueues a job for a tenant the way application code does
(``jobs.enqueue`` inside the tenant's context, then commit), and waits for its result
on Redis (a blocking read, woken by the worker's write: no polling delay). The job
reads the tenant's notes, so each run pays for what every job pays: the live tenant
read, its app, request and tenant contexts, a query and the commit.

- one at a time: latency of a job enqueued when the worker is idle (median, p95);
- a burst: N jobs in one commit, time until the last is done (jobs per second).

    .venv/bin/python -m bench.jobs [--jobs 200] [--db sqlite]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import time
import uuid
from typing import Any

from sqlalchemy import func, select

from bench.harness.reports import print_table, publish
from bench.harness.scenario import parse_with_kinds, scenario
from bench.harness.servers import BIN, REPO
from tenantry import db, jobs, tenant_context
from tenantry.testing import REDIS_URL, percentile, redis_unavailable
from tenantry_notes.models import Note


def count_notes() -> int:
    """The job: what the tenant's notes count is now."""
    return db.session.scalar(select(func.count()).select_from(Note)) or 0


def start_worker(env: dict[str, str], connection: Any, queue: Any) -> subprocess.Popen[bytes]:
    from rq import Worker

    process = subprocess.Popen(
        [str(BIN / "tenantry"), "worker"],
        env=env | {"PYTHONPATH": str(REPO)},
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while Worker.count(connection=connection, queue=queue) == 0:
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("the worker did not start")
        time.sleep(0.05)
    return process


def measure_kind(kind: str, count: int) -> dict[str, Any]:
    from rq.job import Job
    from rq.results import Result

    # Run as ``python -m bench.jobs`` this module is __main__, which a worker cannot import:
    # enqueue the function by its module's real name.
    from bench.jobs import count_notes as job

    queue_name = f"bench-{uuid.uuid4().hex[:8]}"
    with scenario("jobs", kind) as run:
        [tenant] = run.seed(1, notes=20)
        run.env |= {"TENANTRY_JOBS_URL": REDIS_URL, "TENANTRY_JOBS_QUEUE": queue_name}
        app = run.app()
        queued = app.extensions["tenantry.jobs"]
        worker = start_worker(run.env, queued.connection, queued.queue)
        try:
            with app.app_context():
                ref = _tenant_ref(tenant.id)

                def enqueue(n: int) -> list[str]:
                    with tenant_context(ref):
                        ids = [jobs.enqueue(job) for _ in range(n)]
                        db.session.commit()
                    return ids

                def wait(job_id: str) -> Any:
                    job = Job.fetch(
                        job_id, connection=queued.connection, serializer=queued.queue.serializer
                    )
                    result = Result.fetch_latest(job, serializer=job.serializer, timeout=30)
                    assert result is not None and result.return_value["result"] == 20, result
                    return result

                for _ in range(5):  # warm-up: the worker's first jobs load what they use
                    wait(enqueue(1)[0])
                latencies = []
                for _ in range(count):
                    started = time.perf_counter()
                    wait(enqueue(1)[0])
                    latencies.append(time.perf_counter() - started)
                started = time.perf_counter()
                ids = enqueue(count)
                for job_id in ids:
                    wait(job_id)
                burst = time.perf_counter() - started
        finally:
            worker.terminate()
            worker.wait(timeout=30)
            keys = list(queued.connection.scan_iter(match=f"{os.environ['RQ_KEY_PREFIX']}:*"))
            if keys:
                queued.connection.delete(*keys)
    ordered = sorted(latencies)
    return {
        "db": kind,
        "jobs": count,
        "latency_p50_ms": round(percentile(ordered, 50) * 1000, 2),
        "latency_p95_ms": round(percentile(ordered, 95) * 1000, 2),
        "latency_max_ms": round(ordered[-1] * 1000, 2),
        "burst_seconds": round(burst, 2),
        "burst_jobs_per_s": round(count / burst, 1),
    }


def _tenant_ref(tenant_id: int) -> Any:
    from tenantry.tenancy.context import as_ref
    from tenantry.tenancy.models import Tenant

    return as_ref(db.session.get(Tenant, tenant_id))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=200, help="jobs one at a time, then at once")
    args, kinds = parse_with_kinds(parser)
    if reason := redis_unavailable():
        raise SystemExit(f"bench.jobs needs Redis: {reason}")
    # Every RQ key of this run (queue, jobs, results) starts with this; set before rq loads.
    os.environ["RQ_KEY_PREFIX"] = f"tenantry-bench-{uuid.uuid4().hex[:8]}"
    rows = [measure_kind(kind, args.jobs) for kind in kinds]
    print_table(
        ("db", "jobs", "p50 ms", "p95 ms", "max ms", "burst s", "burst jobs/s"),
        [
            [r[k] for k in ("db", "jobs", "latency_p50_ms", "latency_p95_ms", "latency_max_ms")]
            + [r["burst_seconds"], r["burst_jobs_per_s"]]
            for r in rows
        ],
        "Job latency, enqueue (commit) -> done, one worker",
    )
    publish("jobs", {"settings": {"jobs": args.jobs}, "rows": rows})


if __name__ == "__main__":
    main()
