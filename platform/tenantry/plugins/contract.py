"""The plugin contract: what a distribution hands to Tenantry through its entry point.

A plugin is an ordinary distribution with an entry point in the group
``tenantry.plugins`` whose name is the plugin's name and whose object is a
``Plugin``. Everything here is optional except ``name`` and ``title``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from blinker import Signal
from flask import Blueprint
from pydantic import BaseModel

if TYPE_CHECKING:
    from flask_admin import BaseView

    from tenantry.tenancy.context import TenantRef

#: The plugin API this core speaks. A plugin written for another one is refused.
API_VERSION = 1
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,30}$")


@dataclass(frozen=True)
class NavItem:
    """A link in the tenant layout's navigation, shown when the plugin is enabled."""

    label: str
    endpoint: str


@dataclass(kw_only=True)
class Plugin:
    """Everything a plugin contributes. Construct one at module level in the plugin package.

    Its mapped classes are the SQLAlchemy models defined in its package; each
    must be ``TenantScoped`` or ``Global`` and use a table name starting with
    ``<name>_``.
    """

    name: str
    title: str
    description: str = ""
    #: The tenantry plugin API version this was written for (``tenantry.plugins.API_VERSION``).
    api: int = API_VERSION
    #: PEP 508 requirements on distributions: ``["tenantry>=0.1,<1", "tenantry-notes>=1.0"]``.
    #: When a required distribution is itself a plugin, it loads first and is
    #: enabled for a tenant before this one.
    requires: Sequence[str] = ()
    blueprint: Blueprint | None = None
    #: Where the blueprint is mounted on tenant hosts; default ``/<name>``.
    url_prefix: str | None = None
    #: The alembic version directory; its revisions carry ``branch_labels = ("<name>",)``.
    migrations: Path | None = None
    #: Per-tenant settings, validated on every write and edited in the admin.
    settings: type[BaseModel] | None = None
    nav: Sequence[NavItem] = ()
    #: Template slot name -> callable returning HTML, rendered for tenants that enabled it.
    slots: Mapping[str, Callable[[], Any]] = field(default_factory=dict)
    #: Signal receivers that run only for tenants that enabled the plugin.
    receivers: Sequence[tuple[Signal, Callable[..., Any]]] = ()
    #: Flask-Admin views for each tenant's own admin (scoped to that tenant automatically).
    tenant_admin_views: Callable[[], Iterable[BaseView]] | None = None
    #: Flask-Admin views for the operators' platform admin (they run inside ``all_tenants()``).
    platform_admin_views: Callable[[], Iterable[BaseView]] | None = None
    on_enable: Callable[[TenantRef], None] | None = None
    on_disable: Callable[[TenantRef], None] | None = None

    @property
    def prefix(self) -> str:
        return self.url_prefix if self.url_prefix is not None else f"/{self.name}"

    def problems(self) -> list[str]:
        """Why this object cannot be loaded (empty when it can)."""
        found = []
        if not NAME_PATTERN.match(self.name):
            found.append(
                f"name {self.name!r} must be 2-31 lowercase letters, digits or underscores, "
                "starting with a letter"
            )
        if self.api != API_VERSION:
            found.append(
                f"written for plugin API {self.api}, this tenantry speaks API {API_VERSION}; "
                "install a release of the plugin built for it"
            )
        if self.blueprint is not None and not isinstance(self.blueprint, Blueprint):
            found.append("blueprint must be a flask.Blueprint")
        if self.settings is not None and not (
            isinstance(self.settings, type) and issubclass(self.settings, BaseModel)
        ):
            found.append("settings must be a pydantic BaseModel subclass")
        if self.migrations is not None and not Path(self.migrations).is_dir():
            found.append(f"migrations directory {self.migrations} does not exist")
        if not self.prefix.startswith("/") or self.prefix in ("/", "/admin", "/static"):
            found.append(
                f"url_prefix {self.prefix!r} must be a path of its own such as /{self.name}"
            )
        return found
