"""The plugin contract: what a distribution hands to Tenantry through its entry point.

A plugin is an ordinary distribution with an entry point in the group
``tenantry.plugins`` whose name is the plugin's name and whose object is a
``Plugin``. Everything here is optional except ``name``, ``title`` and a
``requires`` entry on tenantry itself, which says which cores it was written for.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any

from blinker import Signal
from flask import Blueprint
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from pydantic import BaseModel

if TYPE_CHECKING:
    from flask_admin import BaseView

    from tenantry.tenancy.context import TenantRef

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,30}$")
CORE_DISTRIBUTION = "tenantry"

#: Flask-Admin views for one admin: a callable, or the import path ``"package.module:callable"``
#: of one, so that importing the plugin does not import Flask-Admin.
AdminViews = Callable[[], "Iterable[BaseView]"] | str


@dataclass(frozen=True)
class NavItem:
    """A link in the tenant layout's navigation, shown when the plugin is enabled."""

    label: str
    endpoint: str


@dataclass(frozen=True)
class Slot:
    """What a plugin renders into a template slot, and where among the other plugins.

    ``render`` receives the slot's keyword context (``slot("note_detail", note=note)``
    calls ``render(note=note)``) and returns HTML. Lower ``order`` renders first;
    equal orders follow the plugins' load order.
    """

    render: Callable[..., Any]
    order: int = 100


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
    #: PEP 508 requirements on distributions: ``["tenantry>=0.2,<1", "tenantry-notes>=1.0"]``.
    #: One must name ``tenantry``: a core outside its range refuses the plugin. When a
    #: required distribution is itself a plugin, it loads first and is enabled with it.
    requires: Sequence[str] = ()
    blueprint: Blueprint | None = None
    #: Where the blueprint is mounted on tenant hosts; default ``/<name>``.
    url_prefix: str | None = None
    #: The alembic version directory; default ``<package>/migrations/versions`` when it
    #: exists. Its revisions carry ``branch_labels = ("<name>",)``.
    migrations: Path | None = None
    #: The gettext catalogs of its words (``<locale>/LC_MESSAGES/messages.po`` and ``.mo``);
    #: default ``<package>/translations`` when it exists. See docs/plugins.md, "Translations".
    translations: Path | None = None
    #: Per-tenant settings, validated on every write, edited in both admins, read with
    #: ``tenantry.plugin_settings(TheModel)``.
    settings: type[BaseModel] | None = None
    nav: Sequence[NavItem] = ()
    #: Template slot name -> a ``Slot`` (or a bare callable, at the default order).
    slots: Mapping[str, Slot | Callable[..., Any]] = field(default_factory=dict)
    #: ``(signal, receiver)`` pairs. A receiver runs only when the signal names a tenant
    #: (its sender is a tenant or a tenant's row, or it passes ``tenant=``) that enabled
    #: this plugin, inside that tenant's context: in a request, the CLI or a job alike.
    receivers: Sequence[tuple[Signal, Callable[..., Any]]] = ()
    #: Flask-Admin views for each tenant's own admin (scoped to that tenant automatically).
    tenant_admin_views: AdminViews | None = None
    #: Flask-Admin views for the operators' platform admin (they run inside ``all_tenants()``).
    platform_admin_views: AdminViews | None = None
    on_enable: Callable[[TenantRef], None] | None = None
    on_disable: Callable[[TenantRef], None] | None = None

    def __post_init__(self) -> None:
        self.slots = {
            name: fill if isinstance(fill, Slot) else Slot(fill)
            for name, fill in self.slots.items()
        }

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
        if not any(_names_core(text) for text in self.requires):
            found.append(
                "requires must name the tenantry versions it was written for, "
                "e.g. requires=['tenantry>=0.2,<1']"
            )
        if self.blueprint is not None and not isinstance(self.blueprint, Blueprint):
            found.append("blueprint must be a flask.Blueprint")
        if self.settings is not None and not (
            isinstance(self.settings, type) and issubclass(self.settings, BaseModel)
        ):
            found.append("settings must be a pydantic BaseModel subclass")
        if self.migrations is not None and not Path(self.migrations).is_dir():
            found.append(f"migrations directory {self.migrations} does not exist")
        if self.translations is not None and not Path(self.translations).is_dir():
            found.append(f"translations directory {self.translations} does not exist")
        if not self.prefix.startswith("/") or self.prefix in ("/", "/admin", "/static"):
            found.append(
                f"url_prefix {self.prefix!r} must be a path of its own such as /{self.name}"
            )
        for slot, fill in self.slots.items():
            if not callable(getattr(fill, "render", None)):
                found.append(f"slot {slot!r} must be a Slot or a callable")
        return found


def _names_core(text: str) -> bool:
    try:
        return canonicalize_name(Requirement(text).name) == CORE_DISTRIBUTION
    except InvalidRequirement:
        return False  # reported with its reason when requirements are checked


def admin_views(factory: AdminViews | None) -> list[BaseView]:
    """The views a plugin's admin factory gives, importing it first when it is a path."""
    if factory is None:
        return []
    if isinstance(factory, str):
        module, _, attr = factory.partition(":")
        factory = getattr(import_module(module), attr)
    return list(factory())
