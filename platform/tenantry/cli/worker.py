"""``tenantry worker``: run queued jobs (platform scope; each job enters its own tenant).

The app is built once, when the command starts; each job then runs in a fresh app
context of it, in this process (RQ's SimpleWorker: no fork per job, so the app, its
plugins and its connection pool are reused). Run as many workers as you like, on
any machine that reaches the database and Redis.
"""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from tenantry.cli.feedback import settings


@click.command("worker")
@with_appcontext
@click.option("--burst", is_flag=True, help="Run what is queued (and due), then exit.")
@click.option("--max-jobs", type=click.IntRange(min=1), help="Exit after this many jobs.")
def worker_command(burst: bool, max_jobs: int | None) -> None:
    """Run background jobs from the queue in jobs_url (tenant export, purge, mail...)."""
    config = settings()
    if not config.jobs_url:
        raise click.ClickException(
            "jobs_url is not set, so jobs run in the web process right after each commit and "
            "no worker is needed; set TENANTRY_JOBS_URL=redis://host:6379/0 to use workers"
        )
    # Imported here: redis and rq are optional dependencies (the `redis` extra).
    from redis import Redis
    from redis.exceptions import RedisError
    from rq import Queue, SimpleWorker
    from rq.serializers import JSONSerializer

    class Worker(SimpleWorker):
        def subscribe(self) -> None:
            # RQ's command channel (stop a job, shut down) serves long-running workers;
            # a burst worker exits when the queue is empty, and would wait a second for
            # the channel's thread on the way out.
            if not burst:
                super().subscribe()

    connection = Redis.from_url(config.jobs_url)
    queue = Queue(config.jobs_queue, connection=connection, serializer=JSONSerializer)
    try:
        worker = Worker([queue], connection=connection, serializer=JSONSerializer)
        click.echo(
            f"worker {worker.name}: queue {config.jobs_queue!r} on {_where(config.jobs_url)}"
        )
        worker.work(
            burst=burst,
            max_jobs=max_jobs,
            with_scheduler=True,  # jobs put off for suspended tenants come back when due
            logging_level=config.log_level,
        )
    except RedisError as error:
        raise click.ClickException(
            f"cannot reach the job queue at {_where(config.jobs_url)}: {error}"
        ) from None


def _where(url: str) -> str:
    """The URL without a password, for the start-up line."""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.rpartition('@')[2]}"
