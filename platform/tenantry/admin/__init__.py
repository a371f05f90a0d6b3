"""What a plugin's admin module imports: the bases of its Flask-Admin views.

    from tenantry.admin import ModelView, tenant_column

Importing this loads Flask-Admin, so a plugin names its admin factories by
import path (``tenant_admin_views="tenantry_notes.admin:tenant_views"``) and
its package stays light until the app builds its admins.
"""

from tenantry.admin.base import AdminPage, ModelView, tenant_column

__all__ = ["AdminPage", "ModelView", "tenant_column"]
