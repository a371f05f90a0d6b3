import threading

import pytest

from tenantry import all_tenants, current_tenant, tenant_context
from tenantry.tenancy.context import TenantRef, bypassing, get_tenant

A = TenantRef(1, "a", "A")
B = TenantRef(2, "b", "B")


def test_no_tenant_outside_any_context():
    assert get_tenant() is None
    assert not current_tenant


def test_contexts_nest_and_restore():
    with tenant_context(A):
        assert current_tenant.slug == "a"
        with tenant_context(B):
            assert current_tenant.slug == "b"
        assert current_tenant.slug == "a"
    assert get_tenant() is None


def test_context_is_restored_after_an_exception():
    with pytest.raises(RuntimeError), tenant_context(A):
        raise RuntimeError("boom")
    assert get_tenant() is None


def test_all_tenants_is_block_scoped_and_a_tenant_context_inside_it_confines_again():
    with all_tenants():
        assert bypassing()
        with tenant_context(A):
            assert not bypassing()
        assert bypassing()
    assert not bypassing()


def test_each_thread_sees_only_its_own_tenant():
    seen: dict[str, list[str]] = {}
    barrier = threading.Barrier(8)

    def work(ref: TenantRef) -> None:
        with tenant_context(ref):
            barrier.wait()
            seen.setdefault(ref.slug, []).extend(current_tenant.slug for _ in range(200))

    threads = [
        threading.Thread(target=work, args=(TenantRef(i, f"t{i}", f"T{i}"),)) for i in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(set(values) == {slug} for slug, values in seen.items())
    assert get_tenant() is None
