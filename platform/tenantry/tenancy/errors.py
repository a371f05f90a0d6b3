"""Exceptions raised when code tries to leave its tenant, and when a Host has no usable site."""

from flask_babel import gettext, lazy_gettext
from werkzeug.exceptions import BadRequest, Forbidden, NotFound


class TenancyError(Exception):
    """Base class of tenancy errors; the message says what to do."""


class NoTenantError(TenancyError):
    """Tenant-scoped data was touched with no tenant in context and no explicit bypass."""


class TenantViolation(TenancyError):
    """A write would put or move a row into another tenant."""


class InvalidName(TenancyError, ValueError):
    """A slug or hostname that cannot name a tenant."""


class NoSiteHere(NotFound):
    """404 for a Host that names no tenant (unknown or deleted): its error page cannot
    link to this host's own pages, which would answer the same."""

    description = lazy_gettext("There is no site at this address.")


class SiteSuspended(Forbidden):
    """403 for every page of a suspended tenant's hosts."""

    def __init__(self, name: str):
        super().__init__(
            description=gettext(
                "%(name)s is suspended. Contact the platform's operators.", name=name
            )
        )
        self.site_name = name


class RowSecurityUnavailable(TenancyError):
    """PostgreSQL's row-level security is not set up (not migrated, or a role lacks access)."""


class ConflictingClaims(BadRequest):
    """400 for a request that names two different tenants (say, its host one and its path
    another): answering for either could show one tenant's page to the other's users."""

    def __init__(self, first: str, second: str):
        super().__init__(
            description=f"This request names two different sites: {first} names one and "
            f"{second} another. Use one site's address only."
        )
