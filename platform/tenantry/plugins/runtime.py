"""Plugins inside a running app: mounting, the per-tenant gate, navigation, slots, receivers."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from blinker import Signal
from flask import Flask, abort, current_app, g, has_app_context, request
from markupsafe import Markup
from sqlalchemy import select

from tenantry.db import db
from tenantry.plugins.contract import NavItem
from tenantry.plugins.enablement import Enabled, EnabledCache
from tenantry.plugins.models import TenantPlugin
from tenantry.plugins.registry import PluginRegistry
from tenantry.tenancy.context import get_tenant

log = logging.getLogger(__name__)
EXTENSION = "tenantry.plugins"
_connected: set[tuple[int, int]] = set()


class PluginRuntime:
    def __init__(self, registry: PluginRegistry):
        self.registry = registry
        self.enabled_cache = EnabledCache(registry)
        self.blueprint_owner: dict[str, str] = {}

    def mount(self, app: Flask) -> None:
        for entry in list(self.registry):
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
        app.extensions[EXTENSION] = self
        app.before_request(self._gate)
        app.jinja_env.globals["slot"] = render_slot
        app.context_processor(lambda: {"tenant_nav": tenant_nav()})

    def enabled(self) -> Enabled:
        """The current tenant's enabled plugins (empty on the root host)."""
        cached = g.get("enabled_plugins")
        if cached is not None:
            return cached
        tenant = get_tenant()
        if tenant is None:
            found = Enabled(0, {})
        else:
            revision = g.get("tenant_revision")
            if revision is None:
                state = db.session.tenant_state()
                revision = state[1] if state else 0
            found = self.enabled_cache.get(db.session, tenant.id, revision)
        g.enabled_plugins = found
        return found

    def _gate(self) -> None:
        if not request.blueprints:
            return
        owner = self.blueprint_owner.get(request.blueprints[-1])
        if owner is not None and (g.get("tenant") is None or owner not in self.enabled()):
            abort(404)


def runtime() -> PluginRuntime:
    return current_app.extensions[EXTENSION]


def plugin_settings(name: str) -> Any:
    """The current tenant's validated settings object for plugin ``name``."""
    return runtime().enabled().settings.get(name)


def is_enabled(name: str) -> bool:
    """Whether the current tenant has plugin ``name`` on (False outside a tenant)."""
    if get_tenant() is None:
        return False
    if g.get("tenant") is not None:
        return name in runtime().enabled()
    query = select(TenantPlugin.id).where(
        TenantPlugin.tenant_id == get_tenant().id,
        TenantPlugin.plugin == name,
        TenantPlugin.enabled.is_(True),
    )
    return name in runtime().registry and db.session.scalar(query) is not None


def tenant_nav() -> list[NavItem]:
    if g.get("tenant") is None:
        return []
    rt = runtime()
    enabled = rt.enabled()
    return [item for entry in rt.registry if entry.name in enabled for item in entry.plugin.nav]


def render_slot(name: str) -> Markup:
    """Concatenate what each enabled plugin renders into slot ``name``; a failing one is skipped."""
    if g.get("tenant") is None:
        return Markup("")
    rt = runtime()
    enabled = rt.enabled()
    parts = []
    for entry in rt.registry:
        fill = entry.plugin.slots.get(name)
        if fill is None or entry.name not in enabled:
            continue
        try:
            parts.append(Markup(fill()))
        except Exception:
            log.exception("plugin %s failed to render slot %s", entry.name, name)
    return Markup("").join(parts)


def _connect_gated(signal: Signal, plugin: str, receiver: Callable[..., Any]) -> None:
    """Connect once per process; the receiver runs only where its plugin is enabled."""
    key = (id(signal), id(receiver))
    if key in _connected:
        return
    _connected.add(key)

    def gated(sender: Any, **kwargs: Any) -> Any:
        if has_app_context() and is_enabled(plugin):
            return receiver(sender, **kwargs)
        return None

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
