"""Where a site lives: the host of a tenant (or the root host) and absolute URLs on it.

Mail needs links that work from anywhere, and the platform admin links to each
tenant's site; both are built here, without a request (the CLI and jobs have none).
"""

from __future__ import annotations

from typing import Any

from flask import current_app


def site_host(tenant: Any | None) -> str:
    """``<slug>.<server name>`` for a tenant (anything with a ``slug``), the root host for None."""
    server_name = current_app.extensions["tenantry.settings"].server_name
    return f"{tenant.slug}.{server_name}" if tenant is not None else server_name


def site_url(tenant: Any | None, endpoint: str = "core.index", **values: Any) -> str:
    """The absolute URL of ``endpoint`` on the tenant's host (the root host for None)."""
    adapter = current_app.url_map.bind(
        site_host(tenant), url_scheme=current_app.config["PREFERRED_URL_SCHEME"]
    )
    return adapter.build(endpoint, values, force_external=True)
