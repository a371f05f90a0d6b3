"""tenantry.cache: keyed by the tenant in context, JSON values, invalidation by generation.

The rules are the same whichever store holds the entries, so most tests run on the
in-process store and on Redis (under a key prefix of this run's own).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tenantry import NoTenantError, TenantRef, TenantViolation, all_tenants, cache, tenant_context
from tenantry.cache.stores import MemoryStore, RedisStore
from tenantry.testing import REDIS_URL, require_redis

ACME = TenantRef(1, "acme", "Acme", revision=3)
ACME_11 = TenantRef(11, "acme11", "Acme 11", revision=3)  # an id that starts like acme's
GLOBEX = TenantRef(2, "globex", "Globex", revision=7)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def redis_store() -> Iterator[RedisStore]:
    require_redis()
    prefix = f"tenantry-test-{uuid.uuid4().hex[:10]}"
    store = RedisStore(REDIS_URL, prefix)
    yield store
    keys = list(store._client.scan_iter(match=f"{prefix}:*", count=1000))
    if keys:
        store._client.delete(*keys)


@pytest.fixture(params=["memory", "redis"])
def store(request: pytest.FixtureRequest) -> Iterator[MemoryStore | RedisStore]:
    if request.param == "memory":
        yield MemoryStore(100)
    else:
        yield from redis_store()


@pytest.fixture
def app_with(store: MemoryStore | RedisStore) -> Iterator[Flask]:
    """A bare Flask app whose cache is ``store``, in an app context (no database needed)."""
    app = Flask(__name__)
    app.extensions[cache.EXTENSION] = store
    with app.app_context():
        yield app


def test_a_value_is_read_back_by_its_tenant_only(app_with):
    with tenant_context(ACME):
        cache.set("notes.html", "k", {"html": "<p>acme</p>", "n": [1, 2]}, 60)
        assert cache.get("notes.html", "k") == {"html": "<p>acme</p>", "n": [1, 2]}
    with tenant_context(GLOBEX):
        assert cache.get("notes.html", "k") is None
        assert cache.get("notes.html", "k", "absent") == "absent"


def test_invalidate_drops_a_namespace_of_one_tenant_only(app_with):
    for tenant in (ACME, GLOBEX):
        with tenant_context(tenant):
            cache.set("notes.dashboard", "recent", tenant.slug, 60)
            cache.set("notes.html", "k", tenant.slug, 60)
    with tenant_context(ACME):
        cache.invalidate("notes.dashboard")
        assert cache.get("notes.dashboard", "recent") is None
        assert cache.get("notes.html", "k") == "acme"  # another namespace is untouched
    with tenant_context(GLOBEX):
        assert cache.get("notes.dashboard", "recent") == "globex"


def test_get_or_set_computes_once_and_then_reads(app_with):
    calls = []

    def compute() -> list[str]:
        calls.append(1)
        return ["fresh"]

    with tenant_context(ACME):
        assert cache.get_or_set("notes.html", 5, 60, compute) == ["fresh"]
        assert cache.get_or_set("notes.html", 5, 60, compute) == ["fresh"]
    assert len(calls) == 1


def test_a_stored_null_is_a_hit(app_with):
    with tenant_context(ACME):
        cache.set("a.b", "k", None, 60)
        assert cache.get_or_set("a.b", "k", 60, lambda: "computed") is None


def test_a_value_computed_across_an_invalidation_is_not_kept(app_with):
    """A reader that read the old rows before a write's invalidation must not refill the cache."""

    def compute_while_someone_invalidates() -> str:
        cache.invalidate("notes.dashboard")  # another request commits a change meanwhile
        return "computed from the old rows"

    with tenant_context(ACME):
        cache.get_or_set("notes.dashboard", "recent", 60, compute_while_someone_invalidates)
        assert cache.get("notes.dashboard", "recent") is None


def test_per_revision_entries_end_with_the_revision(app_with):
    with tenant_context(ACME):
        cache.set("notes.dashboard", "recent", "at 3", 60, per_revision=True)
        assert cache.get("notes.dashboard", "recent", per_revision=True) == "at 3"
        assert cache.get("notes.dashboard", "recent") is None  # not the same key
    with tenant_context(TenantRef(ACME.id, ACME.slug, ACME.name, revision=4)):
        assert cache.get("notes.dashboard", "recent", per_revision=True) is None


def test_per_revision_without_a_known_revision_always_computes(app_with):
    with tenant_context(TenantRef(1, "acme", "Acme")):  # revision 0: unknown
        assert cache.get_or_set("a.b", "k", 60, lambda: 1, per_revision=True) == 1
        assert cache.get_or_set("a.b", "k", 60, lambda: 2, per_revision=True) == 2


def test_delete_removes_one_entry(app_with):
    with tenant_context(ACME):
        cache.set("a.b", "one", 1, 60)
        cache.set("a.b", "two", 2, 60)
        cache.delete("a.b", "one")
        assert (cache.get("a.b", "one"), cache.get("a.b", "two")) == (None, 2)


def test_long_keys_are_stored_by_their_digest(app_with):
    long_key = "x" * 5000
    with tenant_context(ACME):
        cache.set("a.b", long_key, "long", 60)
        assert cache.get("a.b", long_key) == "long"
        assert cache.get("a.b", long_key[:-1]) is None


# --- the tenant rules ------------------------------------------------------------------------


def test_no_tenant_is_refused(app_with):
    with pytest.raises(NoTenantError, match="a cache entry belongs to a tenant"):
        cache.get("a.b", "k")
    with pytest.raises(NoTenantError):
        cache.invalidate("a.b")


def test_all_tenants_needs_the_tenant_named(app_with):
    with all_tenants():
        with pytest.raises(NoTenantError, match="tenant named"):
            cache.set("a.b", "k", 1, 60)
        cache.set("a.b", "k", "for globex", 60, tenant=GLOBEX)
    with tenant_context(GLOBEX):
        assert cache.get("a.b", "k") == "for globex"


def test_naming_another_tenant_from_a_tenant_is_refused(app_with):
    with tenant_context(ACME):
        with pytest.raises(TenantViolation):
            cache.get("a.b", "k", tenant=GLOBEX)
        with pytest.raises(TenantViolation):
            cache.invalidate("a.b", tenant=GLOBEX)
        cache.set("a.b", "k", "mine", 60, tenant=ACME)  # naming one's own tenant is fine
        assert cache.get("a.b", "k") == "mine"


@pytest.mark.parametrize("value", [{1, 2}, object(), b"bytes"])
def test_values_must_be_json(app_with, value):
    with tenant_context(ACME), pytest.raises(TypeError, match="JSON"):
        cache.set("a.b", "k", value, 60)


@pytest.mark.parametrize("namespace", ["", "Notes", "notes html", "1notes", "a:b", "x" * 65])
def test_bad_namespaces_are_refused(app_with, namespace):
    with tenant_context(ACME), pytest.raises(ValueError, match="namespace"):
        cache.get(namespace, "k")


@pytest.mark.parametrize("ttl", [0, -1, cache.MAX_TTL + 1])
def test_ttl_is_bounded(app_with, ttl):
    with tenant_context(ACME), pytest.raises(ValueError, match="ttl"):
        cache.set("a.b", "k", 1, ttl)


# --- the in-process store --------------------------------------------------------------------


def test_memory_entries_expire_after_their_ttl():
    clock = Clock()
    store = MemoryStore(10, clock=clock)
    store.write(1, "a.b", "k", '"v"', 30)
    clock.now += 29
    assert store.read(1, "a.b", "k")[1] == '"v"'
    clock.now += 2
    assert store.read(1, "a.b", "k")[1] is None


def test_memory_keeps_the_most_recently_used_entries():
    store = MemoryStore(2)
    store.write(1, "a.b", "old", "1", 60)
    store.write(1, "a.b", "used", "2", 60)
    store.read(1, "a.b", "used")
    store.write(1, "a.b", "new", "3", 60)
    assert [store.read(1, "a.b", k)[1] for k in ("old", "used", "new")] == [None, "2", "3"]


# --- no operation sequence crosses tenants ---------------------------------------------------

TENANTS = [ACME, GLOBEX, ACME_11]
operation = st.tuples(
    st.sampled_from(["set", "get", "delete", "invalidate", "get_or_set"]),
    st.sampled_from(TENANTS),
    st.sampled_from(["notes.html", "notes.dashboard", "a"]),
    st.sampled_from(["k", "1", "1:k", "gen", "r3:k", ":", "k:1:k"]),
    st.booleans(),  # through all_tenants() with tenant= rather than tenant_context
)


@pytest.mark.parametrize("kind", ["memory", "redis"])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(operations=st.lists(operation, max_size=40))
def test_random_operations_never_read_or_clear_another_tenants_entries(kind, operations):
    """Whatever is done, each tenant reads exactly what a per-tenant dict would hold."""
    stores = redis_store() if kind == "redis" else iter([MemoryStore(10_000)])
    store = next(stores)
    app = Flask(__name__)
    app.extensions[cache.EXTENSION] = store
    model: dict[tuple[int, str, str], object] = {}
    with app.app_context():
        for n, (verb, tenant, namespace, key, explicit) in enumerate(operations):
            scope = all_tenants() if explicit else tenant_context(tenant)
            named = {"tenant": tenant} if explicit else {}
            with scope:
                if verb == "set":
                    cache.set(namespace, key, [tenant.id, n], 60, **named)
                    model[(tenant.id, namespace, key)] = [tenant.id, n]
                elif verb == "get":
                    assert cache.get(namespace, key, **named) == model.get(
                        (tenant.id, namespace, key)
                    )
                elif verb == "get_or_set":
                    expected = model.setdefault((tenant.id, namespace, key), [tenant.id, -n])
                    got = cache.get_or_set(namespace, key, 60, lambda: [tenant.id, -n], **named)  # noqa: B023
                    assert got == expected
                elif verb == "delete":
                    cache.delete(namespace, key, **named)
                    model.pop((tenant.id, namespace, key), None)
                else:
                    cache.invalidate(namespace, **named)
                    for entry in [e for e in model if e[:2] == (tenant.id, namespace)]:
                        del model[entry]
        for (tenant_id, namespace, key), value in model.items():
            tenant = next(t for t in TENANTS if t.id == tenant_id)
            with tenant_context(tenant):
                assert cache.get(namespace, key) == value
    next(stores, None)  # the Redis store's clean-up
