"""Where a committed job goes: onto the RQ queue that ``tenantry worker`` serves, or,
with no ``jobs_url``, straight into ``execute`` in the process that committed it.

Inline jobs run in an empty ``contextvars.Context``: they see no request, tenant or
app context of the code that committed them, exactly as in a worker. A job that
cannot be queued (Redis down) runs inline too, rather than being lost.
"""

from __future__ import annotations

import contextvars
import logging
from typing import Any, Protocol

from flask import Flask

from tenantry.jobs.envelope import Envelope
from tenantry.jobs.execution import Outcome, execute
from tenantry.settings import Settings

log = logging.getLogger("tenantry.jobs")
EXTENSION = "tenantry.jobs"
#: RQ's limit on one run of a job unless enqueue says otherwise.
DEFAULT_TIMEOUT = 180
#: How long RQ keeps a finished job's result, and a failed job, for inspection.
RESULT_TTL = 24 * 3600
FAILURE_TTL = 7 * 24 * 3600
RUN_QUEUED = "tenantry.jobs.execution.run_queued"


class Dispatch(Protocol):
    def push(self, app: Flask, envelope: Envelope, timeout: int | None) -> None: ...


def run_inline(app: Flask, envelope: Envelope) -> Outcome | None:
    """Run the job now, in a clean context; failures are logged, never raised."""
    try:
        outcome = contextvars.Context().run(_execute_with, app, envelope)
    except Exception:  # the job's own code may fail in any way; the commit stands
        log.exception("job %s (%s) failed", envelope.id, envelope.describe())
        return None
    if outcome.status == "postponed":
        log.warning(
            "job %s (%s) not run: %s, and no worker is configured (jobs_url) to try again later",
            envelope.id,
            envelope.describe(),
            outcome.detail,
        )
    return outcome


def _execute_with(app: Flask, envelope: Envelope) -> Outcome:
    with app.app_context():
        return execute(envelope)


class Inline:
    """No worker: each job runs right after the commit that enqueued it."""

    def push(self, app: Flask, envelope: Envelope, timeout: int | None) -> None:
        run_inline(app, envelope)


class Queued:
    """RQ on Redis: ``tenantry worker`` runs the jobs, in order, in another process."""

    def __init__(self, url: str, name: str):
        try:  # imported here: redis and rq are optional dependencies (the `redis` extra)
            from redis import Redis
            from rq import Queue
            from rq.serializers import JSONSerializer
        except ImportError as error:
            raise RuntimeError(
                f"jobs_url is set but {error.name} is not installed: "
                "pip install 'tenantry[redis]', or unset jobs_url to run jobs inline"
            ) from None

        self.connection = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
        self.queue = Queue(name, connection=self.connection, serializer=JSONSerializer)

    def push(self, app: Flask, envelope: Envelope, timeout: int | None) -> None:
        try:
            self.queue.enqueue_call(
                RUN_QUEUED,
                args=[envelope.to_json()],
                job_id=envelope.id,
                timeout=timeout or DEFAULT_TIMEOUT,
                result_ttl=RESULT_TTL,
                failure_ttl=FAILURE_TTL,
                description=envelope.describe(),
            )
        except Exception as error:  # redis-py raises its own and OSErrors alike
            log.warning(
                "job %s (%s) could not be queued (%s: %s); running it here instead",
                envelope.id,
                envelope.describe(),
                type(error).__name__,
                error,
            )
            run_inline(app, envelope)


def init_app(app: Flask, settings: Settings) -> None:
    app.extensions[EXTENSION] = (
        Queued(settings.jobs_url, settings.jobs_queue) if settings.jobs_url else Inline()
    )


def dispatcher(app: Flask) -> Any:
    return app.extensions[EXTENSION]
