"""Plugins inside a running app: mounting, the per-tenant gate, navigation, slots, receivers.

Which plugins a tenant has on is read through ``current_tenant``: its revision
keys a per-process cache, so a request pays for the lookup only after a change.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from blinker import Signal
from flask import Flask, abort, current_app, has_app_context, request
from markupsafe import Markup
from pydantic import BaseModel

from tenantry import metrics
from tenantry.db import db
from tenantry.plugins.contract import NavItem, Slot
from tenantry.plugins.enablement import Enabled, EnabledCache
from tenantry.plugins.registry import PluginRegistry
from tenantry.tenancy.context import TenantRef, as_ref, get_tenant, tenant_context
from tenantry.tenancy.mixins import TenantScoped
from tenantry.tenancy.models import Tenant

log = logging.getLogger(__name__)
EXTENSION = "tenantry.plugins"
NOTHING_ENABLED = Enabled(0, {})
SettingsT = TypeVar("SettingsT", bound=BaseModel)
_connected: set[tuple[int, int]] = set()


class PluginRuntime:
    """The loaded plugins of one app, mounted on it, and what each tenant has enabled."""

    def __init__(self, registry: PluginRegistry):
        self.registry = registry
        self.enabled_cache = EnabledCache(registry)
        self.blueprint_owner: dict[str, str] = {}
        #: slot name -> (order, load position, plugin name, slot), sorted.
        self.slots: dict[str, list[tuple[int, int, str, Slot]]] = {}
        #: settings model -> plugin name, for ``plugin_settings(Model)``.
        self.settings_owner: dict[type[BaseModel], str] = {}

    def mount(self, app: Flask) -> None:
        for position, entry in enumerate(list(self.registry)):
            plugin = entry.plugin
            try:
                if plugin.blueprint is not None:
                    # Owned before registering: if set-up fails half-way, the gate still
                    # answers 404 for whatever got mounted, since refused plugins are never enabled.
                    self.blueprint_owner[plugin.blueprint.name] = plugin.name
                    bp = plugin.blueprint
                    _check_templates(plugin.name, bp.template_folder, bp.root_path)
                    app.register_blueprint(bp, url_prefix=plugin.prefix)
                for signal, receiver in plugin.receivers:
                    _connect_gated(signal, plugin.name, receiver)
            except Exception as error:  # a plugin's set-up may fail in any way
                log.error("plugin %s refused during set-up: %s", plugin.name, error)
                self.registry.refuse(plugin.name, f"set-up failed: {type(error).__name__}: {error}")
                continue
            for name, fill in plugin.slots.items():
                assert isinstance(fill, Slot)  # Plugin.__post_init__ wraps bare callables
                self.slots.setdefault(name, []).append((fill.order, position, plugin.name, fill))
            if plugin.settings is not None:
                self.settings_owner[plugin.settings] = plugin.name
        for fills in self.slots.values():
            fills.sort(key=lambda item: item[:2])
        app.extensions[EXTENSION] = self
        app.jinja_env.globals["slot"] = render_slot
        app.context_processor(lambda: {"tenant_nav": tenant_nav()})

    def enabled(self) -> Enabled:
        """The current tenant's enabled plugins (none outside a tenant)."""
        tenant = get_tenant()
        if tenant is None:
            return NOTHING_ENABLED
        if tenant.revision:
            return self.enabled_cache.get(db.session, tenant.id, tenant.revision)
        # A context entered with a bare TenantRef: no revision to key a cache entry by.
        return self.enabled_cache.load(db.session, tenant.id, 0)

    def enabled_for(self, tenant_id: int) -> Enabled:
        current = get_tenant()
        if current is not None and current.id == tenant_id:
            return self.enabled()
        return self.enabled_cache.load(db.session, tenant_id, 0)

    def gate(self) -> None:
        """before_request: a plugin's routes exist only for tenants that enabled it."""
        if not request.blueprints:
            return
        owner = self.blueprint_owner.get(request.blueprints[-1])
        if owner is not None and owner not in self.enabled():
            abort(404)


def runtime() -> PluginRuntime:
    return current_app.extensions[EXTENSION]


def plugin_settings(model: type[SettingsT]) -> SettingsT:
    """The current tenant's settings of the plugin whose settings model is ``model``.

    Its defaults outside a tenant, or where the plugin is not enabled.
    """
    rt = runtime()
    name = rt.settings_owner.get(model)
    found = rt.enabled().settings.get(name) if name else None
    return found if isinstance(found, model) else model()


def is_enabled(name: str) -> bool:
    """Whether the current tenant has plugin ``name`` on (False outside a tenant)."""
    return name in runtime().enabled()


def tenant_nav() -> list[NavItem]:
    rt = runtime()
    enabled = rt.enabled()
    if not enabled.settings:
        return []
    return [item for entry in rt.registry if entry.name in enabled for item in entry.plugin.nav]


def render_slot(name: str, **context: Any) -> Markup:
    """What each enabled plugin renders into slot ``name``, in slot order.

    Every fill gets the slot's keyword context; one that fails is logged and skipped.
    """
    rt = runtime()
    fills = rt.slots.get(name)
    if not fills:
        return Markup("")
    enabled = rt.enabled()
    parts = []
    for _order, _position, plugin, fill in fills:
        if plugin not in enabled:
            continue
        try:
            parts.append(Markup(fill.render(**context)))
        except Exception:  # a plugin's code may fail in any way
            metrics.PLUGIN_FAILURES.labels(plugin, "slot").inc()
            log.exception("plugin %s failed to render slot %s", plugin, name)
    return Markup("").join(parts)


def tenant_named_by(sender: Any, kwargs: dict[str, Any]) -> TenantRef | int | None:
    """The tenant a signal is about: ``tenant=``, else a Tenant/TenantRef sender, else the
    tenant of a tenant-scoped row sent as sender."""
    tenant = kwargs.get("tenant", sender)
    if isinstance(tenant, TenantRef):
        return tenant
    if isinstance(tenant, Tenant):
        return as_ref(tenant)
    if isinstance(tenant, TenantScoped):
        return tenant.tenant_id
    return None


def _connect_gated(signal: Signal, plugin: str, receiver: Callable[..., Any]) -> None:
    """Connect once per process; the receiver runs only for tenants that enabled its plugin."""
    key = (id(signal), id(receiver))
    if key in _connected:
        return
    _connected.add(key)

    def gated(sender: Any, **kwargs: Any) -> Any:
        try:
            return run(sender, kwargs)
        except Exception:  # counted, then raised: the sender's transaction rolls back
            metrics.PLUGIN_FAILURES.labels(plugin, "receiver").inc()
            raise

    def run(sender: Any, kwargs: dict[str, Any]) -> Any:
        named = tenant_named_by(sender, kwargs)
        if named is None:
            return None  # about no tenant: no tenant can have enabled the plugin
        if not has_app_context():
            raise RuntimeError(
                f"signal {signal.name!r} was sent outside an app context; plugin "
                f"{plugin!r} cannot tell whether its tenant enabled it"
            )
        tenant_id = named if isinstance(named, int) else named.id
        if plugin not in runtime().enabled_for(tenant_id):
            return None
        current = get_tenant()
        if current is not None and current.id == tenant_id:
            return receiver(sender, **kwargs)
        ref = named if isinstance(named, TenantRef) else as_ref(db.session.get(Tenant, tenant_id))
        with tenant_context(ref):
            return receiver(sender, **kwargs)

    signal.connect(gated, weak=False)


def _check_templates(name: str, folder: str | None, root: str) -> None:
    """Plugin templates must live under ``templates/<name>/`` so plugins never shadow each other."""
    if folder is None:
        return
    path = Path(root) / folder
    strays = [p.name for p in path.iterdir() if p.name != name] if path.is_dir() else []
    if strays:
        raise ValueError(
            f"templates must live under {folder}/{name}/ (found {', '.join(sorted(strays))})"
        )
