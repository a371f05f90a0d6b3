"""Turning plugins on and off per tenant, and validating each tenant's plugin settings.

Every change bumps ``Tenant.revision``; each request reads the revision in
the round trip that opens its transaction, so every thread and every process
sees the change on its next request without a restart. Each change is announced
(``signals.plugin_enabled`` ...), which is how it reaches the audit log.

Operators and a tenant's own admins use the same functions; for tenant admins
(``by_tenant_admin=True``) a plugin locked by the operators, for every tenant
(``plugins.locked``) or for this one (``TenantPlugin.locked``), cannot change.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tenantry import signals
from tenantry.errors import Refused
from tenantry.plugins.models import TenantPlugin
from tenantry.plugins.registry import PluginRegistry
from tenantry.tenancy.context import tenant_context, writes_platform_tables
from tenantry.tenancy.models import Tenant


class EnablementError(Refused):
    """A refused enable/disable/settings change; the message says why."""


class PluginSettingsError(EnablementError):
    def __init__(self, plugin: str, errors: dict[str, str]):
        self.errors = errors
        detail = "; ".join(f"{field}: {msg}" for field, msg in errors.items())
        super().__init__(f"invalid settings for plugin {plugin!r}: {detail}")


def validate_settings(
    registry: PluginRegistry, name: str, values: dict[str, Any]
) -> dict[str, Any]:
    """Return the settings as the plugin's model normalises them, or raise with field errors."""
    plugin = registry.get(name)
    if plugin is None or plugin.settings is None:
        if values:
            raise PluginSettingsError(name, {"(settings)": "this plugin has no settings"})
        return {}
    try:
        return plugin.settings.model_validate(values).model_dump(mode="json")
    except ValidationError as error:
        raise PluginSettingsError(
            name,
            {".".join(map(str, e["loc"])) or "(settings)": e["msg"] for e in error.errors()},
        ) from None


def usage(session: Session) -> dict[str, int]:
    """How many tenants have each plugin enabled (names of uninstalled plugins included)."""
    query = (
        select(TenantPlugin.plugin, func.count())
        .where(TenantPlugin.enabled.is_(True))
        .group_by(TenantPlugin.plugin)
    )
    return {name: count for name, count in session.execute(query)}


def missing(registry: PluginRegistry, used: dict[str, int]) -> list[str]:
    """Plugins tenants enabled that are not installed (or not found) any more."""
    known = set(registry.loaded) | set(registry.refused) | set(registry.skipped)
    return sorted(set(used) - known)


def _rows(session: Session, tenant: Tenant) -> dict[str, TenantPlugin]:
    query = select(TenantPlugin).where(TenantPlugin.tenant_id == tenant.id)
    return {row.plugin: row for row in session.scalars(query)}


def is_locked(registry: PluginRegistry, row: TenantPlugin | None, name: str) -> bool:
    """Whether only operators may change ``name`` for the tenant of ``row``."""
    return name in registry.locked or bool(row and row.locked)


def _refuse_if_locked(
    registry: PluginRegistry, rows: dict[str, TenantPlugin], names: list[str], asked: str
) -> None:
    for name in names:
        if is_locked(registry, rows.get(name), name):
            detail = "" if name == asked else f"{asked!r} needs {name!r}, and "
            raise EnablementError(
                f"{detail}{name!r} is managed by the platform's operators; ask them to change it"
            )


@writes_platform_tables
def set_locked(
    session: Session, registry: PluginRegistry, tenant: Tenant, name: str, locked: bool
) -> bool:
    """Operators lock (or unlock) ``name`` for ``tenant``; True when that changed anything."""
    if name not in registry:
        raise EnablementError(_not_loaded(registry, name))
    row = _rows(session, tenant).get(name)
    if row is None:
        if not locked:
            return False
        row = TenantPlugin(tenant_id=tenant.id, plugin=name, settings={}, enabled=False)
        session.add(row)
    if row.locked == locked:
        return False
    row.locked = locked
    session.flush()
    (signals.plugin_locked if locked else signals.plugin_unlocked).send(tenant, plugin=name)
    return True


@writes_platform_tables
def enable(
    session: Session,
    registry: PluginRegistry,
    tenant: Tenant,
    name: str,
    *,
    by_tenant_admin: bool = False,
) -> list[str]:
    """Enable ``name`` and what it requires, in order; return the names newly enabled."""
    if name not in registry:
        raise EnablementError(_not_loaded(registry, name))
    rows = _rows(session, tenant)
    order: list[str] = []

    def visit(plugin_name: str) -> None:
        for dep in registry.loaded[plugin_name].needs:
            visit(dep)
        if plugin_name not in order:
            order.append(plugin_name)

    visit(name)
    if by_tenant_admin:
        _refuse_if_locked(
            registry, rows, [n for n in order if not (n in rows and rows[n].enabled)], name
        )
    turned_on = []
    for plugin_name in order:
        row = rows.get(plugin_name)
        if row is not None and row.enabled:
            continue
        if row is None:
            row = TenantPlugin(tenant_id=tenant.id, plugin=plugin_name, settings={})
            row.settings = validate_settings(registry, plugin_name, {})
            session.add(row)
        row.enabled = True
        turned_on.append(plugin_name)
    if turned_on:
        tenant.revision += 1
        session.flush()
        with tenant_context(tenant) as ref:
            for plugin_name in turned_on:
                _run_hook(
                    plugin_name, "on_enable", registry.loaded[plugin_name].plugin.on_enable, ref
                )
            session.flush()  # what the hooks wrote belongs to this tenant: flush it here
        for plugin_name in turned_on:
            signals.plugin_enabled.send(tenant, plugin=plugin_name)
    return turned_on


@writes_platform_tables
def disable(
    session: Session,
    registry: PluginRegistry,
    tenant: Tenant,
    name: str,
    *,
    by_tenant_admin: bool = False,
) -> bool:
    """Disable ``name`` (data kept); refused while an enabled plugin needs it."""
    rows = _rows(session, tenant)
    row = rows.get(name)
    if row is None or not row.enabled:
        return False
    if by_tenant_admin:
        _refuse_if_locked(registry, rows, [name], name)
    needing = [
        other for other in registry.dependents(name) if rows.get(other) and rows[other].enabled
    ]
    if needing:
        raise EnablementError(
            f"cannot disable {name!r} for {tenant.slug!r}: {', '.join(needing)} needs it; "
            "disable those first"
        )
    row.enabled = False
    tenant.revision += 1
    session.flush()
    plugin = registry.get(name)
    if plugin is not None:
        with tenant_context(tenant) as ref:
            _run_hook(name, "on_disable", plugin.on_disable, ref)
            session.flush()
    signals.plugin_disabled.send(tenant, plugin=name)
    return True


def _run_hook(plugin: str, kind: str, hook: Any, ref: Any) -> None:
    """A plugin's hook failing refuses the change (the caller rolls back) with its reason."""
    if hook is None:
        return
    try:
        hook(ref)
    except Exception as error:  # a plugin's code may fail in any way
        raise EnablementError(
            f"plugin {plugin!r} failed in {kind}: {type(error).__name__}: {error}; nothing changed"
        ) from error


@writes_platform_tables
def update_settings(
    session: Session,
    registry: PluginRegistry,
    tenant: Tenant,
    name: str,
    values: dict[str, Any],
    *,
    by_tenant_admin: bool = False,
) -> dict[str, Any]:
    rows = _rows(session, tenant)
    if name not in rows or not rows[name].enabled:
        raise EnablementError(f"plugin {name!r} is not enabled for {tenant.slug!r}")
    if by_tenant_admin:
        _refuse_if_locked(registry, rows, [name], name)
    row = rows[name]
    before = dict(row.settings or {})
    row.settings = validate_settings(registry, name, values)
    changed = sorted(key for key in row.settings if before.get(key) != row.settings[key])
    if changed:
        tenant.revision += 1
        session.flush()
        signals.plugin_settings_changed.send(tenant, plugin=name, changes=changed)
    return row.settings


def _not_loaded(registry: PluginRegistry, name: str) -> str:
    refusal = registry.refused.get(name)
    if refusal is not None:
        return f"plugin {name!r} is refused: {refusal.reason}"
    return f"no plugin named {name!r} is installed (loaded: {', '.join(registry.loaded) or 'none'})"


@dataclass(frozen=True)
class Enabled:
    """One tenant's enabled plugins at one revision: name -> validated settings."""

    revision: int
    settings: dict[str, BaseModel | None]

    def __contains__(self, name: str) -> bool:
        return name in self.settings


class EnabledCache:
    """Per-process cache of each tenant's enabled plugins, keyed by tenant revision."""

    def __init__(self, registry: PluginRegistry):
        self._registry = registry
        self._entries: dict[int, Enabled] = {}
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def get(self, session: Session, tenant_id: int, revision: int) -> Enabled:
        """The tenant's plugins at ``revision``, read from the database once per revision."""
        entry = self._entries.get(tenant_id)
        if entry is not None and entry.revision == revision:
            return entry
        entry = self.load(session, tenant_id, revision)
        with self._lock:
            self._entries[tenant_id] = entry
        return entry

    def load(self, session: Session, tenant_id: int, revision: int) -> Enabled:
        """Read the tenant's enabled plugins and their validated settings, uncached."""
        query = select(TenantPlugin.plugin, TenantPlugin.settings).where(
            TenantPlugin.tenant_id == tenant_id, TenantPlugin.enabled.is_(True)
        )
        settings: dict[str, BaseModel | None] = {}
        for name, values in session.execute(query):
            plugin = self._registry.get(name)
            if plugin is None:
                continue  # uninstalled or refused: the tenant simply no longer sees it
            settings[name] = (
                plugin.settings.model_validate(values or {}) if plugin.settings else None
            )
        return Enabled(revision, settings)
