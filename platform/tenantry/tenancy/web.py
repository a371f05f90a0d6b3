"""Tenancy in the request cycle: Host -> tenant before any view, context reset after.

Order of work per request on a tenant host: a dict lookup for the host, then
one round trip that opens the transaction, sets the tenant for row-level
security and reads the tenant's live status and revision.
"""

from __future__ import annotations

from contextlib import ExitStack

from flask import Flask, abort, current_app, g, request

from tenantry.db import db
from tenantry.tenancy.context import TenantRef, tenant_context
from tenantry.tenancy.errors import InvalidName
from tenantry.tenancy.resolve import PLATFORM, HostResolver
from tenantry.tenancy.signals import hosts_changed

EXTENSION = "tenantry.resolver"
#: Answered on every accepted host, without a tenant (probes, the core's static files).
_HOSTLESS_ENDPOINTS = frozenset({"health.healthz", "health.readyz", "static"})


def init_app(app: Flask, resolver: HostResolver) -> None:
    app.extensions[EXTENSION] = resolver
    hosts_changed.connect(resolver.clear, weak=True)
    app.before_request(_enter_tenant)
    app.teardown_request(_leave_tenant)


def resolver() -> HostResolver:
    return current_app.extensions[EXTENSION]


def _enter_tenant() -> None:
    g.tenant = None
    if request.endpoint in _HOSTLESS_ENDPOINTS:
        return
    try:
        found = resolver().resolve(request.host)
    except InvalidName:
        abort(400, description="The Host header is not a valid hostname.")
    if found == PLATFORM:
        return
    if found is None:
        abort(404, description="There is no site at this address.")
    assert isinstance(found, TenantRef)
    scope = g._tenant_scope = ExitStack()
    scope.enter_context(tenant_context(found))
    state = db.session.tenant_state()
    if state is None or state[0] == "deleted":
        abort(404, description="There is no site at this address.")
    status, revision, slug, name = state
    if status == "suspended":
        abort(403, description=f"{name} is suspended. Contact the platform's operators.")
    ref = TenantRef(found.id, slug, name, status)
    if ref != found:
        scope.enter_context(tenant_context(ref))
    g.tenant = ref
    g.tenant_revision = revision


def _leave_tenant(_exc: BaseException | None) -> None:
    scope = g.pop("_tenant_scope", None)
    if scope is not None:
        scope.close()
