"""Exceptions raised when code tries to leave its tenant."""


class TenancyError(Exception):
    """Base class of tenancy errors; the message says what to do."""


class NoTenantError(TenancyError):
    """Tenant-scoped data was touched with no tenant in context and no explicit bypass."""


class TenantViolation(TenancyError):
    """A write would put or move a row into another tenant."""


class InvalidName(TenancyError, ValueError):
    """A slug or hostname that cannot name a tenant."""
