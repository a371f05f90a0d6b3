"""A cache that cannot cross tenants: every entry belongs to the current tenant.

    from tenantry import cache

    html = cache.get_or_set("notes.html", f"{note.id}:{version}", 86400, render)
    cache.invalidate("notes.dashboard")  # this tenant's entries of that namespace, everywhere

The key is built here from the tenant in context, the namespace and your key; no
argument can name another tenant's entry or clear another tenant's namespace.
Outside a tenant this raises ``NoTenantError``; inside ``all_tenants()`` you name
the tenant (``tenant=``) on purpose. Values are JSON (what ``json.dumps`` takes;
tuples come back as lists), never pickled. A cache that cannot be reached behaves
as empty: reads miss, the value is computed, nothing fails.

``per_revision=True`` adds the tenant's revision to the key, so the entry is
dropped by anything that changes the revision: enabling or disabling a plugin,
changing plugin settings, renaming the tenant.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app

from tenantry import metrics
from tenantry.cache.stores import Store, store_from_url
from tenantry.db import db
from tenantry.settings import Settings
from tenantry.tenancy.context import tenant_for

__all__ = ["delete", "get", "get_or_set", "invalidate", "set"]

EXTENSION = "tenantry.cache"
NAMESPACE = re.compile(r"^[a-z][a-z0-9_.-]{0,63}$")
#: The longest an entry may live: generations must outlive every entry.
MAX_TTL = 30 * 24 * 3600
T = TypeVar("T")


def init_app(app: Flask, settings: Settings) -> None:
    app.extensions[EXTENSION] = store_from_url(
        settings.cache_url, settings.cache_prefix, settings.cache_max_entries
    )


def store() -> Store:
    return current_app.extensions[EXTENSION]


def _tenant(tenant: Any) -> tuple[int, int]:
    """(id, revision) of the tenant an entry belongs to, by the same rules as the ORM's."""
    ref = tenant_for(tenant, "a cache entry", "cache.get(namespace, key, tenant=tenant)")
    return ref.id, ref.revision


def _key(namespace: str, key: str | int, revision: int, per_revision: bool) -> str:
    if not isinstance(namespace, str) or not NAMESPACE.match(namespace):
        raise ValueError(
            f"cache namespace {namespace!r}: 1-64 lowercase letters, digits, '_', '.' or '-', "
            "starting with a letter, e.g. 'notes.html'"
        )
    if isinstance(key, bool) or not isinstance(key, str | int):
        raise TypeError(f"a cache key is a str or an int, not {type(key).__name__}")
    return f"r{revision}:{key}" if per_revision else str(key)


def _ttl(ttl: float) -> float:
    if not 0 < ttl <= MAX_TTL:
        raise ValueError(f"ttl must be more than 0 and at most {MAX_TTL} seconds, not {ttl!r}")
    return ttl


def _dumps(value: Any) -> str:
    try:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    except TypeError as error:
        raise TypeError(f"cache values are JSON: {error}") from None


def get(
    namespace: str,
    key: str | int,
    default: Any = None,
    *,
    tenant: Any = None,
    per_revision: bool = False,
) -> Any:
    """The value stored under ``key`` for the current tenant, or ``default``."""
    tenant_id, revision = _tenant(tenant)
    if per_revision and not revision:
        return default  # a context without a known revision: nothing can be keyed by it
    found = store().read(tenant_id, namespace, _key(namespace, key, revision, per_revision))[1]
    if found is None:
        metrics.CACHE_MISSES.inc()
        return default
    metrics.CACHE_HITS.inc()
    return json.loads(found)


def set(
    namespace: str,
    key: str | int,
    value: Any,
    ttl: float,
    *,
    tenant: Any = None,
    per_revision: bool = False,
) -> None:
    """Keep ``value`` (JSON) for ``ttl`` seconds under ``key`` for the current tenant."""
    tenant_id, revision = _tenant(tenant)
    if per_revision and not revision:
        return
    full = _key(namespace, key, revision, per_revision)
    store().write(tenant_id, namespace, full, _dumps(value), _ttl(ttl))


def delete(
    namespace: str, key: str | int, *, tenant: Any = None, per_revision: bool = False
) -> None:
    tenant_id, revision = _tenant(tenant)
    store().delete(tenant_id, namespace, _key(namespace, key, revision, per_revision))


def get_or_set(
    namespace: str,
    key: str | int,
    ttl: float,
    compute: Callable[[], T],
    *,
    tenant: Any = None,
    per_revision: bool = False,
) -> T:
    """The cached value, or ``compute()``'s, kept for ``ttl`` seconds.

    A value computed while the namespace is invalidated is not kept: it may come
    from rows older than the change that invalidated it.
    """
    tenant_id, revision = _tenant(tenant)
    if per_revision and not revision:
        return compute()
    full = _key(namespace, key, revision, per_revision)
    generation, found = store().read(tenant_id, namespace, full)
    if found is not None:
        metrics.CACHE_HITS.inc()
        return json.loads(found)
    metrics.CACHE_MISSES.inc()
    value = compute()
    store().write(tenant_id, namespace, full, _dumps(value), _ttl(ttl), generation)
    return value


def invalidate(namespace: str, *, tenant: Any = None) -> None:
    """Drop every entry of ``namespace`` for the current tenant, in every process.

    Inside a transaction it is done now and again once the transaction commits, so
    a reader who refilled the entry from the old rows in between is not believed.
    """
    tenant_id, _revision = _tenant(tenant)
    _key(namespace, "", 0, False)
    target = store()
    target.bump(tenant_id, namespace)
    if db.in_transaction():
        db.on_commit(lambda: target.bump(tenant_id, namespace))
