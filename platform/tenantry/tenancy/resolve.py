"""Host header -> tenant, answered from memory.

Each process keeps ``hostname -> TenantRef`` (and "unknown" answers) for
``resolve_cache_ttl`` seconds, so the cost of resolution does not depend on
how many tenants exist: a miss is one indexed lookup, a hit is a dict read.
Status is deliberately not trusted from the cache: the request reads it fresh
in the round trip that starts its transaction (see ``scoping``), so a
suspension or deletion takes effect on the next request in every process.
The same round trip confirms that a custom domain still belongs to the cached
tenant; when it does not (moved or removed by another process), the gate
``forget``s the host and resolves it again. A commit that touches tenants or
domains clears this process's cache at once. At ``max_entries`` the least
recently used host is evicted, so a flood of unknown hosts cannot empty it.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from contextlib import suppress
from typing import Final

from sqlalchemy import Engine, select

from tenantry.tenancy.connections import PLATFORM_TABLES_ONLY
from tenantry.tenancy.context import TenantRef
from tenantry.tenancy.errors import InvalidName
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
        self._cache: OrderedDict[str, tuple[float, TenantRef | None]] = OrderedDict()
        self._lock = threading.Lock()

    def resolve(self, raw_host: str) -> TenantRef | str | None:
        """Raises InvalidName for a malformed host."""
        return self.lookup(raw_host)[0]

    def lookup(self, raw_host: str) -> tuple[TenantRef | str | None, str | None]:
        """(what ``resolve`` answers, the normalised host when it is a custom domain)."""
        host = normalize_host(raw_host)
        if host == self.root_host:
            return PLATFORM, None
        domain = None if host.endswith(self._suffix) else host
        cached = self._cache.get(host)
        now = self._clock()
        if cached is not None and cached[0] > now:
            # KeyError: evicted by another thread meanwhile; the answer still stands.
            with suppress(KeyError):
                self._cache.move_to_end(host)
            return cached[1], domain
        found = self._lookup(host)
        # "No such site" is kept briefly only: a tenant created by another process
        # must not stay unreachable here for a whole TTL.
        ttl = self._ttl if found is not None else min(self._ttl, NEGATIVE_TTL)
        with self._lock:
            self._cache[host] = (now + ttl, found)
            self._cache.move_to_end(host)
            while len(self._cache) > self._max_entries:
                self._cache.popitem(last=False)
        return found, domain

    def lookup_slug(self, slug: str | None) -> TenantRef | None:
        """The tenant with this slug: looked up, and cached, as its subdomain of the root host.
        Raises InvalidName for a slug that could not be one."""
        if not slug or "." in slug:
            raise InvalidName(f"{slug!r} is not a tenant's slug")
        found = self.lookup(slug + self._suffix)[0]
        assert not isinstance(found, str)
        return found

    def is_root(self, raw_host: str) -> bool:
        """Whether ``raw_host`` is the root host (False for malformed ones)."""
        try:
            return normalize_host(raw_host) == self.root_host
        except InvalidName:
            return False

    def forget(self, host: str) -> None:
        """Drop one (normalised) host: the next lookup reads it from the database."""
        with self._lock:
            self._cache.pop(host, None)

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
            connection = connection.execution_options(**PLATFORM_TABLES_ONLY)
            row = connection.execute(query.where(Tenant.status != "deleted")).first()
        return TenantRef(*row) if row is not None else None
