"""Host header -> tenant, answered from memory.

Each process keeps ``hostname -> TenantRef`` (and "unknown" answers) for
``resolve_cache_ttl`` seconds, so the cost of resolution does not depend on
how many tenants exist: a miss is one indexed lookup, a hit is a dict read.
Status is deliberately not trusted from the cache: the request reads it fresh
in the round trip that starts its transaction (see ``scoping``), so a
suspension or deletion takes effect on the next request in every process.
A commit that touches tenants or domains clears this process's cache at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Final

from sqlalchemy import Engine, select

from tenantry.tenancy.context import TenantRef
from tenantry.tenancy.hostnames import normalize_host
from tenantry.tenancy.models import Domain, Tenant

PLATFORM: Final = "platform"
NEGATIVE_TTL: Final = 2.0


class HostResolver:
    """Maps a Host header to PLATFORM, a TenantRef, or None (no such tenant)."""

    def __init__(
        self,
        engine: Engine,
        root_host: str,
        ttl: float,
        max_entries: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._engine = engine
        self._clock = clock
        self.root_host = root_host
        self._suffix = "." + root_host
        self._ttl = ttl
        self._max_entries = max_entries
        self._cache: dict[str, tuple[float, TenantRef | None]] = {}
        self._lock = threading.Lock()

    def resolve(self, raw_host: str) -> TenantRef | str | None:
        """Raises InvalidName for a malformed host."""
        host = normalize_host(raw_host)
        if host == self.root_host:
            return PLATFORM
        cached = self._cache.get(host)
        now = self._clock()
        if cached is not None and cached[0] > now:
            return cached[1]
        found = self._lookup(host)
        # "No such site" is kept briefly only: a tenant created by another process
        # must not stay unreachable here for a whole TTL.
        ttl = self._ttl if found is not None else min(self._ttl, NEGATIVE_TTL)
        with self._lock:
            if len(self._cache) >= self._max_entries:
                self._cache.clear()
            self._cache[host] = (now + ttl, found)
        return found

    def clear(self, *_args: object, **_kwargs: object) -> None:
        with self._lock:
            self._cache.clear()

    def _lookup(self, host: str) -> TenantRef | None:
        columns = (Tenant.id, Tenant.slug, Tenant.name, Tenant.status)
        if host.endswith(self._suffix):
            label = host[: -len(self._suffix)]
            if "." in label:
                return None
            query = select(*columns).where(Tenant.slug == label)
        else:
            query = select(*columns).join(Domain).where(Domain.hostname == host)
        # Its own short connection: the request's session must begin *after*
        # the tenant is known, so that its first round trip sets it for RLS.
        with self._engine.connect() as connection:
            row = connection.execute(query.where(Tenant.status != "deleted")).first()
        return TenantRef(*row) if row is not None else None
