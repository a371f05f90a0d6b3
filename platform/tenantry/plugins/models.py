"""Which plugins each tenant has turned on, with that tenant's plugin settings."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tenantry.db import Base
from tenantry.tenancy.mixins import Global


class TenantPlugin(Global, Base):
    """Global: written by operators and the CLI for a named tenant, never by tenant code.

    Plugin names are plain strings, not a foreign key, so a row survives its
    plugin being uninstalled (it then shows as "missing").
    """

    __tablename__ = "tenantry_tenant_plugin"
    __table_args__ = (UniqueConstraint("tenant_id", "plugin"),)
    # The tenant role reads its own tenant's rows only; writes go through
    # plugins.enablement, as the platform role (see tenancy.context.writes_platform_tables).
    __tenant_rows__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenantry_tenant.id", ondelete="CASCADE"))
    plugin: Mapped[str] = mapped_column(String(31))
    enabled: Mapped[bool] = mapped_column(default=True)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: Set by operators: this tenant's admins cannot turn the plugin on or off or change
    #: its settings (``plugins.locked`` in the settings does the same for every tenant).
    locked: Mapped[bool] = mapped_column(default=False)
