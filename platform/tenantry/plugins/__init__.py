"""The plugin system: the contract, discovery, per-tenant enablement and runtime hooks."""

from tenantry.plugins.contract import API_VERSION, NavItem, Plugin

__all__ = ["API_VERSION", "NavItem", "Plugin"]
