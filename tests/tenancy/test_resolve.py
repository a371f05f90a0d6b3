"""Host -> tenant: the right answer for every kind of host, from memory after the first."""

import pytest
from sqlalchemy import event, insert

from tenantry import db
from tenantry.tenancy.context import TenantRef
from tenantry.tenancy.errors import InvalidName
from tenantry.tenancy.models import Domain, Tenant
from tenantry.tenancy.resolve import PLATFORM, HostResolver
from tenantry.testing import client_for


@pytest.fixture
def resolver(app):
    with app.app_context():
        yield HostResolver(db.engine, "localhost", ttl=60)


class StatementCounter:
    def __init__(self, engine):
        self.count = 0
        self.engine = engine

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._count)

    def _count(self, *args):
        self.count += 1


def test_root_host_is_the_platform(resolver):
    assert resolver.resolve("localhost") == PLATFORM
    assert resolver.resolve("LOCALHOST:8000") == PLATFORM


def test_subdomain_resolves_to_its_tenant(resolver, make_tenant):
    acme = make_tenant("acme")
    found = resolver.resolve("acme.localhost:8000")
    assert isinstance(found, TenantRef) and found.id == acme.id


def test_custom_domain_resolves_to_its_tenant(app, resolver, make_tenant):
    acme = make_tenant("acme")
    with app.app_context():
        db.session.add(Domain(hostname="shop.example.com", tenant_id=acme.id))
        db.session.commit()
    assert resolver.resolve("Shop.Example.COM.").id == acme.id


def test_unknown_nested_and_deleted_hosts_resolve_to_nothing(app, resolver, make_tenant):
    make_tenant("gone")
    with app.app_context():
        db.session.query(Tenant).filter_by(slug="gone").update({"status": "deleted"})
        db.session.commit()
    assert resolver.resolve("nobody.localhost") is None
    assert resolver.resolve("a.b.localhost") is None
    assert resolver.resolve("gone.localhost") is None
    assert resolver.resolve("example.org") is None


def test_malformed_hosts_raise(resolver):
    with pytest.raises(InvalidName):
        resolver.resolve("bad..localhost")


def test_answers_come_from_memory_after_the_first_lookup(app, resolver, make_tenant):
    make_tenant("acme")
    with StatementCounter(db_engine(app)) as counter:
        resolver.resolve("acme.localhost")
        first = counter.count
        for _ in range(100):
            resolver.resolve("acme.localhost")
    assert first == 1
    assert counter.count == 1


def test_ten_thousand_tenants_resolve_without_a_scan(app, resolver):
    with app.app_context():
        db.session.execute(
            insert(Tenant), [{"slug": f"t{i}", "name": f"T{i}"} for i in range(10_000)]
        )
        db.session.commit()
    with StatementCounter(db_engine(app)) as counter:
        for i in range(0, 10_000, 500):
            assert resolver.resolve(f"t{i}.localhost").slug == f"t{i}"
        cold = counter.count
        for i in range(0, 10_000, 500):
            resolver.resolve(f"t{i}.localhost")
    assert cold == 20  # one indexed lookup per new host
    assert counter.count == 20  # and none once known, however many tenants exist


def test_a_commit_touching_domains_clears_the_cache(app, make_tenant, tenant_client):
    acme = make_tenant("acme")
    client = tenant_client(acme)
    assert client.get("/healthz").status_code == 200
    assert client.get("/", base_url="http://shop.example.com").status_code == 400  # untrusted
    app.config["TRUSTED_HOSTS"].append("shop.example.com")
    try:
        assert client.get("/", base_url="http://shop.example.com").status_code == 404
        with app.app_context():
            db.session.add(Domain(hostname="shop.example.com", tenant_id=acme.id))
            db.session.commit()
        assert client.get("/", base_url="http://shop.example.com").status_code == 200
    finally:
        app.config["TRUSTED_HOSTS"].remove("shop.example.com")


def db_engine(app):
    with app.app_context():
        return db.engine


def test_unknown_hosts_are_forgotten_quickly_so_new_tenants_appear_everywhere(app):
    from tenantry.tenancy.resolve import NEGATIVE_TTL

    now = [0.0]
    with app.app_context():
        resolver = HostResolver(db.engine, "localhost", ttl=60, clock=lambda: now[0])
        assert resolver.resolve("later.localhost") is None
        # Created "by another process": this resolver is not told.
        db.session.execute(insert(Tenant), [{"slug": "later", "name": "Later"}])
        db.session.commit()
        assert resolver.resolve("later.localhost") is None  # the cached answer, for now
        now[0] += NEGATIVE_TTL + 0.1
        assert resolver.resolve("later.localhost").slug == "later"
        now[0] += 30  # a found tenant is kept for the full TTL
        assert resolver.resolve("later.localhost").slug == "later"


def test_at_its_cap_the_cache_evicts_the_least_recently_used_host(app, make_tenant):
    for slug in ("a1", "b2", "c3"):
        make_tenant(slug)
    with app.app_context():
        resolver = HostResolver(db.engine, "localhost", ttl=60, max_entries=2)
    with StatementCounter(db_engine(app)) as counter:
        resolver.resolve("a1.localhost")
        resolver.resolve("b2.localhost")
        resolver.resolve("a1.localhost")  # a1 is now the most recently used
        resolver.resolve("c3.localhost")  # evicts b2, not everything
        before = counter.count
        resolver.resolve("a1.localhost")
        resolver.resolve("c3.localhost")
        assert counter.count == before  # both still cached
        resolver.resolve("b2.localhost")
        assert counter.count == before + 1  # b2 was the one evicted


def _move_domain_behind_the_apps_back(app, hostname: str, tenant_id: int | None) -> None:
    """Change a domain as another process would: this app's cache is not told."""
    from sqlalchemy import create_engine, text

    engine = create_engine(app.extensions["tenantry.settings"].effective_migrations_url)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM tenantry_domain WHERE hostname = :h"), {"h": hostname})
        if tenant_id is not None:
            connection.execute(
                text(
                    "INSERT INTO tenantry_domain (hostname, tenant_id, created_at)"
                    " VALUES (:h, :t, CURRENT_TIMESTAMP)"
                ),
                {"h": hostname, "t": tenant_id},
            )
    engine.dispose()


@pytest.fixture
def shop(app):
    app.config["TRUSTED_HOSTS"].append("shop.example.com")
    yield client_for(app, "shop.example.com")
    app.config["TRUSTED_HOSTS"].remove("shop.example.com")


def test_a_domain_moved_by_another_process_serves_its_new_tenant_on_the_next_request(
    app, make_tenant, shop
):
    acme, bravo = make_tenant("acme", "Acme"), make_tenant("bravo", "Bravo")
    _move_domain_behind_the_apps_back(app, "shop.example.com", acme.id)
    assert "<h1>Acme</h1>" in shop.get("/").get_data(as_text=True)  # cached now
    _move_domain_behind_the_apps_back(app, "shop.example.com", bravo.id)
    assert "<h1>Bravo</h1>" in shop.get("/").get_data(as_text=True)
    _move_domain_behind_the_apps_back(app, "shop.example.com", None)
    assert shop.get("/").status_code == 404


def test_checking_the_domain_costs_no_extra_statement(app, make_tenant, shop):
    acme = make_tenant("acme")
    _move_domain_behind_the_apps_back(app, "shop.example.com", acme.id)
    subdomain = client_for(app, "acme.localhost")
    for client in (shop, subdomain):
        client.get("/")  # warm the host cache
    counts = []
    for client in (shop, subdomain):
        with StatementCounter(db_engine(app)) as counter:
            assert client.get("/").status_code == 200
        counts.append(counter.count)
    assert counts[0] == counts[1]
