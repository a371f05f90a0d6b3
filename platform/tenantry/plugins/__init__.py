"""The plugin system: the contract, discovery, per-tenant enablement and runtime hooks."""
