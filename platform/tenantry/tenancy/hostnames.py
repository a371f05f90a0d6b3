"""Rules for tenant slugs and hostnames, with messages that say what is wrong."""

from __future__ import annotations

import re

from tenantry.tenancy.errors import InvalidName

RESERVED_SLUGS = frozenset(
    {
        "www",
        "admin",
        "api",
        "static",
        "app",
        "assets",
        "cdn",
        "mail",
        "smtp",
        "ftp",
        "root",
        "localhost",
        "status",
        "help",
        "support",
        "docs",
        "blog",
        "auth",
        "login",
        "platform",
    }
)
_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
MAX_HOST_LENGTH = 253


def validate_slug(slug: str) -> str:
    """Return the slug if it can be a subdomain label of its own, else raise InvalidName."""
    if not isinstance(slug, str) or not slug:
        raise InvalidName("slug is empty: use 1-63 lowercase letters, digits or hyphens")
    if len(slug) > 63:
        raise InvalidName(f"slug {slug!r} is {len(slug)} characters long; the limit is 63")
    if not _LABEL.match(slug):
        raise InvalidName(
            f"slug {slug!r} is not a DNS label: use lowercase letters, digits and hyphens, "
            "not starting or ending with a hyphen"
        )
    if slug[2:4] == "--":
        raise InvalidName(f"slug {slug!r} looks like an encoded name (xx--); choose another")
    if slug in RESERVED_SLUGS:
        raise InvalidName(f"slug {slug!r} is reserved for the platform; choose another")
    return slug


def normalize_host(raw: str) -> str:
    """Lowercase, port-less, trailing-dot-less, punycode form of a Host header or domain."""
    host = (raw or "").strip()
    if not host:
        raise InvalidName("hostname is empty")
    if len(host) > MAX_HOST_LENGTH + 7:
        raise InvalidName("hostname is longer than 253 characters")
    if host.startswith("["):
        raise InvalidName("IP addresses cannot name a tenant")
    if ":" in host:
        host, _, port = host.rpartition(":")
        if not port.isdigit():
            raise InvalidName(f"{raw!r} has an invalid port")
    host = host.lower().removesuffix(".")
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError as error:
        raise InvalidName(f"{raw!r} is not a valid hostname ({error})") from None
    labels = host.split(".")
    if len(host) > MAX_HOST_LENGTH or not all(_LABEL.match(label) for label in labels):
        raise InvalidName(
            f"{raw!r} is not a valid hostname: dot-separated labels of letters, digits and hyphens"
        )
    return host


def validate_domain(raw: str, root_host: str) -> str:
    """A custom domain a tenant may own: valid, and not the platform's own namespace."""
    host = normalize_host(raw)
    if "." not in host:
        raise InvalidName(f"{raw!r} is not a fully qualified domain such as shop.example.com")
    if host.rsplit(".", 1)[1].isdigit():  # 10.0.0.1, and 10.1 (which resolvers read as one)
        raise InvalidName(f"{raw!r} is an IP address; IP addresses cannot name a tenant")
    if host == root_host or host.endswith("." + root_host):
        raise InvalidName(
            f"{host!r} is under the platform's own host {root_host!r}; "
            "subdomains there are given by the tenant's slug"
        )
    return host
