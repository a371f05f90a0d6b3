"""The core's tests use the fixtures that tenantry ships to plugin authors (tenantry.testing)."""
