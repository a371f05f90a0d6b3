"""Where a request gets its tenant: Host -> tenant before any view, context closed after.

Order of work per request on a tenant host: a dict lookup for the host, then
one round trip that opens the transaction, sets the tenant for row-level
security, reads the tenant's live status and revision and, for a custom
domain, confirms it still belongs to that tenant (when another process moved
or removed it, the host is looked up again). From then on
``current_tenant`` (with that revision) is the request's one answer to "which
tenant"; nothing else stores it.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager, ExitStack
from typing import TypeVar

from flask import Flask, abort, current_app, g, request

from tenantry.db import db
from tenantry.signals import hosts_changed, tenant_resolved
from tenantry.tenancy.context import TenantRef, tenant_context
from tenantry.tenancy.errors import ConflictingClaims, InvalidName, NoSiteHere, SiteSuspended
from tenantry.tenancy.models import TenantStatus
from tenantry.tenancy.resolve import PLATFORM, HostResolver
from tenantry.tenancy.strategies import TenantResolver

EXTENSION = "tenantry.resolver"
STRATEGIES = "tenantry.tenant_resolvers"
#: Answered on every accepted host, without a tenant: the core's static files. (The probes
#: never get this far: ``health.Probes`` answers them on any Host.)
HOSTLESS_ENDPOINTS = frozenset({"static"})
_SCOPE = "_tenantry_request_scope"
T = TypeVar("T")


def install(app: Flask, resolver: HostResolver, strategies: Sequence[TenantResolver]) -> None:
    """Give the app its resolver and strategies; commits that change hosts clear the resolver."""
    app.extensions[EXTENSION] = resolver
    app.extensions[STRATEGIES] = tuple(strategies)
    hosts_changed.connect(resolver.clear, weak=True)


def resolver() -> HostResolver:
    return current_app.extensions[EXTENSION]


def hold_for_request(context: AbstractContextManager[T]) -> T:
    """Enter ``context`` now and leave it when the request ends, whatever happens.

    The one way request hooks widen or change the tenancy context (the platform
    admin's ``all_tenants()``): the exit is guaranteed by ``leave_tenant``.
    """
    scope = g.get(_SCOPE)
    if scope is None:
        scope = ExitStack()
        setattr(g, _SCOPE, scope)
    return scope.enter_context(context)


def enter_tenant() -> None:
    """before_request: find the tenant; 400/403/404 for bad, suspended and unknown ones."""
    if request.endpoint in HOSTLESS_ENDPOINTS:
        return
    extensions = current_app.extensions
    hosts: HostResolver = extensions[EXTENSION]
    found, domain = _claimed(hosts, extensions[STRATEGIES])
    if found == PLATFORM:
        return
    if found is None:
        raise NoSiteHere()
    assert isinstance(found, TenantRef)
    hold_for_request(tenant_context(found))
    live: TenantRef | None = db.session.live_tenant(domain)  # type: ignore[attr-defined]
    if live is None and domain is not None:
        # The domain left this tenant since it was cached (another process moved or
        # removed it): look it up again, in a new transaction for the new tenant.
        hosts.forget(domain)
        db.session.rollback()
        found = hosts.resolve(domain)
        if not isinstance(found, TenantRef):
            raise NoSiteHere()
        hold_for_request(tenant_context(found))
        live = db.session.live_tenant(domain)  # type: ignore[attr-defined]
    if live is None or live.status == TenantStatus.DELETED:
        raise NoSiteHere()
    if live.status == TenantStatus.SUSPENDED:
        raise SiteSuspended(live.name)
    if live != found:
        hold_for_request(tenant_context(live))
    if tenant_resolved.receivers:
        tenant_resolved.send(current_app._get_current_object(), tenant=live)  # type: ignore[attr-defined]


def _claimed(
    hosts: HostResolver, strategies: Sequence[TenantResolver]
) -> tuple[TenantRef | str | None, str | None]:
    """What the strategies name, looked up: (PLATFORM, a TenantRef, or None for no such
    site; the custom domain named, if any). Every strategy is asked, so two that name
    different tenants are caught (400) whichever comes first; a name no tenant has (an
    unknown subdomain or domain) gives way to one that a tenant has."""
    chosen: TenantRef | None = None
    chosen_by = ""
    chosen_domain: str | None = None
    named = platform = False
    for strategy in strategies:
        claim = strategy.resolve(request)
        if claim is None:
            continue
        try:
            if claim.host is not None:
                found, domain = hosts.lookup(claim.host)
            else:
                found, domain = hosts.lookup_slug(claim.slug), None
        except InvalidName:
            named_by = claim.source[:1].upper() + claim.source[1:]
            what = "a valid hostname" if claim.host is not None else "a valid name of a site"
            abort(400, description=f"{named_by} is not {what}.")
        if found is PLATFORM:  # the root host names no tenant; another strategy may
            platform = True
            continue
        named = True
        if not isinstance(found, TenantRef):
            continue
        if chosen is None:
            chosen, chosen_by, chosen_domain = found, claim.source, domain
        elif found.id != chosen.id:
            raise ConflictingClaims(chosen_by, claim.source)
        elif domain is not None:  # the same tenant: keep the domain, to confirm it is still its
            chosen_domain = domain
    if chosen is not None:
        return chosen, chosen_domain
    if named:
        return None, None
    return (PLATFORM if platform or hosts.is_root(request.host) else None), None


def leave_tenant(_exc: BaseException | None) -> None:
    """teardown_request: close every context the request entered, innermost first."""
    scope = g.pop(_SCOPE, None)
    if scope is not None:
        scope.close()
