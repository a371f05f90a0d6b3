"""Where a site lives: the host of a tenant (or the root host) and absolute URLs on it.

Mail needs links that work from anywhere, and the platform admin links to each
tenant's site; both are built here, without a request (the CLI and jobs have none).
A tenant's site is ``<slug>.<server name>``, or ``<server name>/t/<slug>/`` when the
``path`` strategy comes before ``host`` in ``tenant_resolvers`` (or ``host`` is not there).
"""

from __future__ import annotations

from typing import Any

from flask import current_app


def _by_path() -> bool:
    strategies = current_app.extensions["tenantry.settings"].tenant_resolvers
    first = next((name for name in strategies if name in ("host", "path")), "host")
    return first == "path"


def site_host(tenant: Any | None) -> str:
    """``<slug>.<server name>`` for a tenant (anything with a ``slug``), the root host for None
    and for every tenant when sites live under paths."""
    server_name = current_app.extensions["tenantry.settings"].server_name
    return f"{tenant.slug}.{server_name}" if tenant is not None and not _by_path() else server_name


def site_prefix(tenant: Any | None) -> str:
    """``/t/<slug>`` when the tenant's site lives under a path, else ``""``."""
    return f"/t/{tenant.slug}" if tenant is not None and _by_path() else ""


def site_url(tenant: Any | None, endpoint: str = "core.index", **values: Any) -> str:
    """The absolute URL of ``endpoint`` on the tenant's site (the root host's for None)."""
    adapter = current_app.url_map.bind(
        site_host(tenant),
        script_name=site_prefix(tenant) or None,
        url_scheme=current_app.config["PREFERRED_URL_SCHEME"],
    )
    return adapter.build(endpoint, values, force_external=True)
