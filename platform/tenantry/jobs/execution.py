"""Running one job, in a worker or inline: the same checks and contexts as a request.

The tenant is read live first: deleted (or gone) drops the job, suspended puts it
off, a plugin the tenant turned off (or this process did not load) skips its jobs.
Then the function runs in a fresh app context, in a request context on the tenant's
site (so ``url_for`` gives the tenant's links), in the tenant's context, as the
person who enqueued it; its session is committed when it returns and rolled back
when it raises. Plugin receivers it triggers are gated exactly as in a request.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Literal

from flask import Flask, current_app

from tenantry import metrics
from tenantry.db import db
from tenantry.jobs.envelope import PLATFORM, Envelope, resolve
from tenantry.links import site_host, site_prefix
from tenantry.plugins.runtime import runtime
from tenantry.settings import Settings
from tenantry.signals import job_done
from tenantry.tenancy.context import TenantRef, all_tenants, get_tenant, tenant_context
from tenantry.tenancy.models import TenantStatus

log = logging.getLogger("tenantry.jobs")
#: app.extensions key of the function that makes a job act as its starter (auth.identity).
ACT_AS = "tenantry.act_as"
#: How long a suspended tenant's job keeps being put off before it fails for good.
SUSPENDED_PATIENCE = 14 * 24 * 3600

_running: ContextVar[Envelope | None] = ContextVar("tenantry.job", default=None)


@dataclass(frozen=True)
class Outcome:
    """What became of a job: done, dropped (tenant gone), skipped (plugin off), postponed."""

    status: Literal["done", "dropped", "skipped", "postponed"]
    detail: str = ""
    result: Any = None
    retry_in: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"status": self.status, "detail": self.detail, "result": self.result}


def running() -> Envelope | None:
    """The job this code runs in, if any."""
    return _running.get()


def execute(envelope: Envelope) -> Outcome:
    """Run ``envelope`` with the current app: the worker's, or the committing request's."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    token = _running.set(envelope)
    try:
        with app.app_context():
            if envelope.scope == PLATFORM:
                with _request(app, None, envelope), all_tenants():
                    return _call(envelope)
            return _for_tenant(app, envelope)
    finally:
        _running.reset(token)


def _for_tenant(app: Flask, envelope: Envelope) -> Outcome:
    assert envelope.tenant_id is not None
    recorded = TenantRef(envelope.tenant_id, envelope.tenant_slug or "", "")
    with tenant_context(recorded):
        live: TenantRef | None = db.session.live_tenant()  # type: ignore[attr-defined]
    if live is None or live.status == TenantStatus.DELETED:
        log.warning("job %s (%s) dropped: the tenant is deleted", envelope.id, envelope.describe())
        return Outcome("dropped", f"tenant {envelope.tenant_slug!r} is deleted")
    slug = live.slug
    if live.status == TenantStatus.SUSPENDED:
        wait = settings().jobs_suspended_retry
        log.info("job %s (%s) put off %d s: the tenant is suspended", envelope.id, slug, wait)
        return Outcome("postponed", f"tenant {slug!r} is suspended", retry_in=wait)
    with tenant_context(live):
        if envelope.plugin is not None:
            why = _plugin_off(envelope.plugin, slug)
            if why:
                log.warning("job %s (%s) skipped: %s", envelope.id, envelope.describe(), why)
                return Outcome("skipped", why)
        with _request(app, live, envelope):
            return _call(envelope)


def _plugin_off(plugin: str, slug: str) -> str | None:
    rt = runtime()
    if plugin not in rt.registry:
        return f"plugin {plugin!r} is not loaded in this process"
    if plugin not in rt.enabled():
        return f"plugin {plugin!r} is disabled for {slug!r}"
    return None


@contextmanager
def _request(app: Flask, tenant: TenantRef | None, envelope: Envelope) -> Iterator[None]:
    """A request context on the tenant's site (the root host for platform jobs), acting as
    the job's starter."""
    scheme = "https" if settings().secure_cookies else "http"
    base_url = f"{scheme}://{site_host(tenant)}{site_prefix(tenant)}/"
    with app.test_request_context("/", base_url=base_url):
        act_as = app.extensions.get(ACT_AS)
        if act_as is not None:
            act_as(envelope.acting)
        yield


def _call(envelope: Envelope) -> Outcome:
    function = resolve(envelope.function)
    try:
        result = function(*envelope.args)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        metrics.JOB_FAILURES.labels(envelope.plugin or "core").inc()
        raise
    if job_done.receivers:
        job_done.send(
            current_app._get_current_object(),  # type: ignore[attr-defined]
            job=envelope.id,
            function=envelope.function,
            result=result,
            tenant=get_tenant(),
        )
    return Outcome("done", result=result if _is_json(result) else None)


def _is_json(value: Any) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


def settings() -> Settings:
    return current_app.extensions["tenantry.settings"]


def run_queued(data: dict[str, Any]) -> Any:
    """What RQ runs (in ``tenantry worker``, inside its app context): the job, and a
    retry later for a suspended tenant."""
    outcome = execute(Envelope.from_json(data))
    if outcome.status == "postponed":
        # Imported here: rq is an optional dependency, needed only by workers.
        from rq import Retry

        return Retry(max=max(1, SUSPENDED_PATIENCE // outcome.retry_in), interval=outcome.retry_in)
    return outcome.to_json()
