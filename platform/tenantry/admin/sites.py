"""Two Flask-Admin instances: the operators' platform admin (/admin on the root host)
and each tenant's own admin (/manage on tenant hosts)."""

from __future__ import annotations

from flask import Flask, request
from flask_admin import Admin, BaseView
from flask_admin.theme import Bootstrap4Theme

from tenantry.admin import platform, tenant
from tenantry.admin.base import PLATFORM, TENANT, IndexView, SecureView, admin_messages
from tenantry.plugins.contract import admin_views
from tenantry.plugins.registry import PluginRegistry
from tenantry.security import csp_nonce
from tenantry.tenancy.context import all_tenants, get_tenant
from tenantry.tenancy.gate import hold_for_request


class ScopedAdmin(Admin):
    tenantry_scope: str


def _admin(
    app: Flask, scope: str, name: str, url: str, endpoint: str, index: IndexView
) -> ScopedAdmin:
    admin = ScopedAdmin(
        app,
        name=name,
        url=url,
        endpoint=endpoint,
        index_view=index,
        theme=Bootstrap4Theme(
            base_template="tenantry_admin/base.html", swatch="default", fluid=True
        ),
        csp_nonce_generator=csp_nonce,
    )
    admin.tenantry_scope = scope
    return admin


def _add(admin: ScopedAdmin, view: BaseView, plugin: str | None = None) -> None:
    if not isinstance(view, SecureView):
        raise TypeError(
            f"admin view {type(view).__name__} must inherit tenantry.admin.ModelView or AdminPage"
        )
    view.tenantry_plugin = plugin
    # Two admins on one app: prefix blueprint names, keep readable URLs.
    original = view.endpoint
    view.url = view.url or f"{admin.url}/{original}"
    view.endpoint = f"{admin.endpoint}_{original}"
    admin.add_view(view)


def init_admin(app: Flask, registry: PluginRegistry) -> None:
    app.jinja_env.globals["admin_messages"] = admin_messages
    operators = _admin(
        app,
        PLATFORM,
        "Tenantry",
        "/admin",
        "admin",
        platform.Dashboard(url="/admin", endpoint="admin"),
    )
    for view in platform.views():
        _add(operators, view)
    manage = _admin(
        app,
        TENANT,
        "Tenant admin",
        "/manage",
        "manage",
        tenant.Dashboard(url="/manage", endpoint="manage"),
    )
    for view in tenant.views():
        _add(manage, view)

    seen: set[str] = set()
    for entry in list(registry):
        try:
            for admin, factory in (
                (operators, entry.plugin.platform_admin_views),
                (manage, entry.plugin.tenant_admin_views),
            ):
                for view in admin_views(factory):
                    key = f"{admin.endpoint}_{view.endpoint}"
                    if key in seen or key in app.blueprints:
                        raise ValueError(f"admin endpoint {view.endpoint!r} is already taken")
                    seen.add(key)
                    _add(admin, view, entry.name)
        except Exception as error:  # contained like any other plugin failure
            registry.refuse(entry.name, f"admin views failed: {type(error).__name__}: {error}")


def open_platform_scope() -> None:
    """before_request: the platform admin works across tenants on purpose, and only there."""
    blueprint = request.blueprint
    if (
        blueprint
        and (blueprint == "admin" or blueprint.startswith("admin_"))
        and get_tenant() is None
    ):
        hold_for_request(all_tenants())
