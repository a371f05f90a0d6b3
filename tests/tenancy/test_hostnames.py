import pytest
from hypothesis import given
from hypothesis import strategies as st

from tenantry.tenancy.errors import InvalidName
from tenantry.tenancy.hostnames import normalize_host, validate_domain, validate_slug


@pytest.mark.parametrize("slug", ["acme", "a", "acme-2", "9lives", "x" * 63])
def test_valid_slugs_are_accepted(slug):
    assert validate_slug(slug) == slug


@pytest.mark.parametrize(
    ("slug", "reason"),
    [
        ("", "empty"),
        ("Acme", "DNS label"),
        ("-acme", "DNS label"),
        ("acme-", "DNS label"),
        ("ac_me", "DNS label"),
        ("ac.me", "DNS label"),
        ("x" * 64, "limit is 63"),
        ("www", "reserved"),
        ("admin", "reserved"),
        ("api", "reserved"),
        ("static", "reserved"),
        ("xn--abc", "encoded"),
    ],
)
def test_bad_slugs_are_refused_with_the_reason(slug, reason):
    with pytest.raises(InvalidName, match=reason):
        validate_slug(slug)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Acme.Example.COM", "acme.example.com"),
        ("acme.example.com:8443", "acme.example.com"),
        ("acme.example.com.", "acme.example.com"),
        ("acme.example.com.:80", "acme.example.com"),
        ("bücher.example", "xn--bcher-kva.example"),
    ],
)
def test_hosts_are_normalised(raw, expected):
    assert normalize_host(raw) == expected


@pytest.mark.parametrize(
    "raw", ["", "a..b", "[::1]:8000", "exa mple.com", "x" * 300, "host:port", "-bad.com", "a_b.com"]
)
def test_malformed_hosts_are_refused(raw):
    with pytest.raises(InvalidName):
        normalize_host(raw)


@pytest.mark.parametrize("address", ["10.0.0.1", "192.168.1.20:8000", "10.1", "1.2.3.4."])
def test_an_ip_address_is_not_a_custom_domain(address):
    with pytest.raises(InvalidName, match="IP addresses cannot name a tenant"):
        validate_domain(address, "localhost")


def test_custom_domain_may_not_sit_under_the_platform_host():
    with pytest.raises(InvalidName, match="platform's own host"):
        validate_domain("shop.localhost", "localhost")
    assert validate_domain("Shop.Example.com.", "localhost") == "shop.example.com"


@given(st.text(max_size=80))
def test_normalize_host_never_crashes_on_any_input(raw):
    try:
        host = normalize_host(raw)
    except InvalidName:
        return
    assert host == host.lower() and len(host) <= 253 and not host.endswith(".")
