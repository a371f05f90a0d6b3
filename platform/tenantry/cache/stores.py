"""Where cached values live: this process (LRU with TTL), Redis (shared), or nowhere.

A store never sees a caller's key alone: it is handed the tenant id and the
namespace as separate parts and builds the full key itself, so no key a caller
writes can name another tenant's entry. Each (tenant, namespace) has a
generation number that is part of every entry's key; invalidating bumps it, so
the old entries are never read again and age out by TTL or LRU. Nothing ever
lists keys (no ``KEYS``, no ``SCAN``) or empties a database (no ``FLUSHDB``).

A value is JSON text. ``read`` returns the generation it looked in, and
``write`` may be given that generation: a value computed from rows read before
an invalidation is then stored where no reader looks any more.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Protocol

log = logging.getLogger(__name__)
#: The generation a failed read reports: writes given it are skipped.
UNKNOWN = -1
#: Longer keys are stored as their SHA-256, so a key can be any length.
MAX_KEY_LENGTH = 200


class Store(Protocol):
    def read(self, tenant_id: int, namespace: str, key: str) -> tuple[int, str | None]:
        """The current generation of (tenant, namespace) and the entry's JSON, or None."""
        ...

    def write(
        self,
        tenant_id: int,
        namespace: str,
        key: str,
        value: str,
        ttl: float,
        generation: int | None = None,
    ) -> None:
        """Store under ``generation`` (None: the current one); UNKNOWN stores nothing."""
        ...

    def delete(self, tenant_id: int, namespace: str, key: str) -> None: ...

    def bump(self, tenant_id: int, namespace: str) -> None:
        """Invalidate every entry of (tenant, namespace), in every process that shares the store."""
        ...


def short_key(key: str) -> str:
    if len(key) <= MAX_KEY_LENGTH:
        return key
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()


class NullStore:
    """Caching off: every read misses, nothing is kept (benchmarks, debugging)."""

    def read(self, tenant_id: int, namespace: str, key: str) -> tuple[int, str | None]:
        return UNKNOWN, None

    def write(self, *_args: Any) -> None:
        return None

    def delete(self, tenant_id: int, namespace: str, key: str) -> None:
        return None

    def bump(self, tenant_id: int, namespace: str) -> None:
        return None


class MemoryStore:
    """This process only, least recently used entries dropped past ``max_entries``.

    Invalidation reaches this process only: with several processes, use Redis.
    """

    def __init__(self, max_entries: int, clock: Callable[[], float] = time.monotonic):
        self._max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[tuple[int, str, int, str], tuple[float, str]] = OrderedDict()
        self._generations: dict[tuple[int, str], int] = {}
        self._lock = threading.Lock()

    def read(self, tenant_id: int, namespace: str, key: str) -> tuple[int, str | None]:
        with self._lock:
            generation = self._generations.get((tenant_id, namespace), 0)
            entry_key = (tenant_id, namespace, generation, short_key(key))
            found = self._entries.get(entry_key)
            if found is None:
                return generation, None
            if found[0] <= self._clock():
                del self._entries[entry_key]
                return generation, None
            self._entries.move_to_end(entry_key)
            return generation, found[1]

    def write(
        self,
        tenant_id: int,
        namespace: str,
        key: str,
        value: str,
        ttl: float,
        generation: int | None = None,
    ) -> None:
        with self._lock:
            current = self._generations.get((tenant_id, namespace), 0)
            if generation == UNKNOWN or (generation is not None and generation != current):
                return  # invalidated since it was read: nobody would read it
            entry_key = (tenant_id, namespace, current, short_key(key))
            self._entries[entry_key] = (self._clock() + ttl, value)
            self._entries.move_to_end(entry_key)
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)

    def delete(self, tenant_id: int, namespace: str, key: str) -> None:
        with self._lock:
            generation = self._generations.get((tenant_id, namespace), 0)
            self._entries.pop((tenant_id, namespace, generation, short_key(key)), None)

    def bump(self, tenant_id: int, namespace: str) -> None:
        with self._lock:
            scope = (tenant_id, namespace)
            self._generations[scope] = self._generations.get(scope, 0) + 1


# The generation key is created on first use with a seed (microseconds since the epoch)
# rather than 0: if Redis ever evicts it, the new generation is one never used before, so
# entries written under an old one cannot come back.
_GENERATION = """
local g = redis.call('GET', KEYS[1])
if not g then
  redis.call('SET', KEYS[1], ARGV[1], 'NX')
  g = redis.call('GET', KEYS[1])
end
"""
_READ = _GENERATION + "return {g, redis.call('GET', ARGV[2] .. g .. ':' .. ARGV[3])}"
_WRITE = _GENERATION + "redis.call('SET', ARGV[2] .. g .. ':' .. ARGV[3], ARGV[4], 'PX', ARGV[5])"
_DELETE = _GENERATION + "redis.call('DEL', ARGV[2] .. g .. ':' .. ARGV[3])"
_BUMP = _GENERATION + "return redis.call('INCR', KEYS[1])"


class RedisStore:
    """Shared by every process on the same Redis: one round trip per read, write or bump.

    Keys: ``<prefix>:cache:<tenant id>:<namespace>:gen`` holds the generation, entries are
    ``<prefix>:cache:<tenant id>:<namespace>:<generation>:<key>`` with a TTL. When Redis
    cannot be reached, reads miss and writes are skipped (the caller computes), and the
    store waits ``retry_after`` seconds before trying again, so an outage costs one
    timeout per process now and then, not one per call.
    """

    def __init__(self, url: str, prefix: str, retry_after: float = 5.0, timeout: float = 0.5):
        # Imported here: Redis is an optional dependency (the `redis` extra).
        import redis

        self._errors = (redis.RedisError, OSError)
        self._client = redis.Redis.from_url(
            url, socket_connect_timeout=timeout, socket_timeout=timeout, decode_responses=True
        )
        self._prefix = f"{prefix}:cache:"
        self._retry_after = retry_after
        self._down_until = 0.0
        self._read = self._client.register_script(_READ)
        self._write = self._client.register_script(_WRITE)
        self._delete = self._client.register_script(_DELETE)
        self._bump = self._client.register_script(_BUMP)

    def _base(self, tenant_id: int, namespace: str) -> str:
        return f"{self._prefix}{tenant_id}:{namespace}:"

    def _call(self, script: Any, tenant_id: int, namespace: str, *args: Any) -> Any:
        """Run one script; None (and a pause) when Redis does not answer."""
        if time.monotonic() < self._down_until:
            return None
        base = self._base(tenant_id, namespace)
        try:
            return script(keys=[base + "gen"], args=[time.time_ns() // 1000, base, *args])
        except self._errors as error:
            self._down_until = time.monotonic() + self._retry_after
            log.warning(
                "cache unreachable (%s: %s); computing without it for %.0f s",
                type(error).__name__,
                error,
                self._retry_after,
            )
            return None

    def read(self, tenant_id: int, namespace: str, key: str) -> tuple[int, str | None]:
        found = self._call(self._read, tenant_id, namespace, short_key(key))
        if found is None:
            return UNKNOWN, None
        return int(found[0]), found[1]

    def write(
        self,
        tenant_id: int,
        namespace: str,
        key: str,
        value: str,
        ttl: float,
        generation: int | None = None,
    ) -> None:
        milliseconds = max(1, round(ttl * 1000))
        if generation is None:
            self._call(self._write, tenant_id, namespace, short_key(key), value, milliseconds)
            return
        if generation == UNKNOWN or time.monotonic() < self._down_until:
            return
        entry = f"{self._base(tenant_id, namespace)}{generation}:{short_key(key)}"
        try:
            self._client.set(entry, value, px=milliseconds)
        except self._errors as error:
            self._down_until = time.monotonic() + self._retry_after
            log.warning("cache unreachable (%s: %s); entry not stored", type(error).__name__, error)

    def delete(self, tenant_id: int, namespace: str, key: str) -> None:
        self._call(self._delete, tenant_id, namespace, short_key(key))

    def bump(self, tenant_id: int, namespace: str) -> None:
        if self._call(self._bump, tenant_id, namespace) is None:
            log.error(
                "cache invalidation of %r for tenant %s was lost (Redis unreachable): "
                "its entries may be served until their TTL runs out",
                namespace,
                tenant_id,
            )


def store_from_url(url: str, prefix: str, max_entries: int) -> Store:
    """The store the ``cache_url`` setting names (validated by settings)."""
    if url == "null://":
        return NullStore()
    if url == "memory://":
        return MemoryStore(max_entries)
    return RedisStore(url, prefix)
