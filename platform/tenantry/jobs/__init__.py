"""Background jobs that cannot cross tenants.

    from tenantry import jobs

    jobs.enqueue(send_digest, user.id)   # for the current tenant, after the commit

``enqueue`` records the current tenant, its revision and the person acting, and
queues the job only once the surrounding transaction commits: a rolled-back write
queues nothing. A worker (``tenantry worker``) re-reads the tenant before running
it: deleted drops the job, suspended puts it off, and a job of a plugin the tenant
turned off is skipped. With no worker configured (no ``jobs_url``) the job runs in
the committing process right after the commit, with the same checks and contexts:
``enqueue`` is the one call for "run this as a job, or now if there are no workers".

Functions are named by import path and arguments are JSON: pass ids, not rows.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from flask import Flask, current_app, has_request_context
from flask_login import current_user

from tenantry.db import db
from tenantry.jobs import dispatch
from tenantry.jobs.envelope import PLATFORM, TENANT, Envelope, json_args, reference
from tenantry.jobs.execution import Outcome, running
from tenantry.plugins.runtime import runtime
from tenantry.settings import Settings
from tenantry.tenancy.context import TenantRef, bypassing, get_tenant, tenant_for
from tenantry.tenancy.errors import TenantViolation

__all__ = ["Envelope", "Outcome", "enqueue", "enqueue_platform", "running"]


def init_app(app: Flask, settings: Settings) -> None:
    dispatch.init_app(app, settings)


def enqueue(function: Any, *args: Any, tenant: Any = None, timeout: int | None = None) -> str:
    """Run ``function(*args)`` as a job of the current tenant once this transaction commits.

    Inside ``all_tenants()`` name the tenant (``tenant=``); in a tenant's context,
    ``tenant=`` may only name that same tenant. ``timeout`` (seconds, default 180)
    bounds one run in a worker. Returns the job's id.
    """
    owner = tenant_for(tenant, "a job", "jobs.enqueue(function, *args, tenant=tenant)")
    return _submit(function, args, TENANT, owner, timeout)


def enqueue_platform(function: Any, *args: Any, timeout: int | None = None) -> str:
    """Run ``function(*args)`` inside ``all_tenants()`` once this transaction commits.

    For the operators' work across tenants (exports, purges): never from a tenant's
    own context. The job is not held back by any tenant's status.
    """
    if get_tenant() is not None and not bypassing():
        raise TenantViolation("a tenant's code cannot start a platform job")
    return _submit(function, args, PLATFORM, None, timeout)


def _acting() -> str | None:
    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user.reference
    return None


def _plugin_of(path: str) -> str | None:
    package = path.split(".", 1)[0].split(":", 1)[0]
    for entry in runtime().registry:
        if entry.package == package:
            return entry.name
    return None


def _submit(
    function: Any, args: tuple[Any, ...], scope: Any, tenant: TenantRef | None, timeout: int | None
) -> str:
    path = reference(function)
    envelope = Envelope(
        id=uuid.uuid4().hex,
        function=path,
        args=json_args(args),
        scope=scope,
        tenant_id=tenant.id if tenant else None,
        tenant_slug=tenant.slug if tenant else None,
        revision=tenant.revision if tenant else 0,
        acting=_acting(),
        plugin=_plugin_of(path),
        enqueued_at=time.time(),
    )
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    target = dispatch.dispatcher(app)
    db.on_commit(lambda: target.push(app, envelope, timeout))
    return envelope.id
