"""Each tenant's own admin (/manage on its host): its users and invitations, its plugins
(on/off and settings, unless operators locked them), their views, and its audit log.

Nothing here filters by tenant: the session layer confines every query, get
and count to the current tenant, which is what makes this view safe. Every
write goes through ``auth.accounts``, ``auth.invitations`` and ``plugins.enablement``.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user
from sqlalchemy import func, select
from wtforms import SelectField, StringField
from wtforms.validators import InputRequired, Length

from tenantry.admin import plugin_forms
from tenantry.admin.audit import AuditLogView
from tenantry.admin.base import AdminPage, IndexView, ModelView, PasswordOnCreate, password_field
from tenantry.admin.invitations import InvitationsPage
from tenantry.admin.usage_charts import tenant_charts
from tenantry.auditlog import AuditEntry
from tenantry.auth import accounts
from tenantry.auth.forms import EMAIL_SHAPE
from tenantry.auth.models import Role, User
from tenantry.db import db
from tenantry.errors import ValidationFailed
from tenantry.plugins.runtime import runtime
from tenantry.tenancy import lifecycle, timezones
from tenantry.tenancy.context import current_tenant


class Dashboard(IndexView):
    @expose("/")
    def index(self):
        enabled = runtime().enabled()
        return self.render(
            "tenantry_admin/tenant_dashboard.html",
            users=db.session.scalar(select(func.count()).select_from(User)),
            plugins=[e for e in runtime().registry if e.name in enabled],
            charts=tenant_charts(db.session, current_tenant.id),
        )


class TenantUserView(PasswordOnCreate, ModelView):
    column_list = ("email", "name", "role", "active", "created_at")
    column_details_list = ("email", "name", "role", "active", "created_at")
    column_searchable_list = ("email", "name")
    column_filters = ("role", "active")
    # Flask-Admin renders form_extra_fields only when form_columns names them.
    form_columns = ("email", "name", "role", "active", "password")
    form_overrides = {"role": SelectField, "email": StringField}
    form_args = {
        "role": {"choices": [role.value for role in Role]},
        "email": {"validators": [InputRequired(), EMAIL_SHAPE, Length(max=254)]},
    }
    form_extra_fields = {"password": password_field()}
    done_messages = {
        "create": "User {name} created.",
        "update": "User {name} saved.",
        "delete": "User {name} deleted.",
    }

    def create(self, form: Any) -> User:
        if not form.password.data:
            raise ValidationFailed({"password": "A new account needs a password."})
        return accounts.create_user(
            db.session,
            current_tenant,
            form.email.data,
            form.password.data,
            role=form.role.data,
            name=form.name.data or "",
            active=form.active.data,
        )

    def update(self, form: Any, model: User) -> None:
        accounts.update_user(
            db.session,
            model,
            acting=current_user.user,
            email=form.email.data,
            name=form.name.data,
            role=form.role.data,
            active=form.active.data,
            password=form.password.data or None,
        )

    def delete(self, model: User) -> None:
        accounts.delete_user(db.session, model, acting=current_user.user)


class PluginsPage(AdminPage):
    """Tenant admins turn plugins on and off and tune their settings, as operators do,
    through the same service, except the plugins operators locked."""

    @expose("/", methods=("GET", "POST"))
    def index(self):
        registry = runtime().registry
        tenant = lifecycle.find(db.session, current_tenant.slug)
        errors: dict[str, dict[str, str]] = {}
        if request.method == "POST":
            verb = request.form.get("do", "")
            errors = plugin_forms.apply_change(registry, tenant, verb, by_tenant_admin=True)
            if not errors:
                return redirect(url_for(".index"))
        rows = plugin_forms.plugin_rows(registry, tenant.id, errors)
        return self.render("tenantry_admin/tenant_site_plugins.html", **rows)


class SitePage(AdminPage):
    """Tenant admins choose how their site shows times (operators can too, on the tenant)."""

    @expose("/", methods=("GET", "POST"))
    def index(self):
        tenant = lifecycle.find(db.session, current_tenant.slug)
        chosen, error = tenant.timezone, None
        if request.method == "POST":
            chosen = request.form.get("timezone", "")
            try:
                lifecycle.set_timezone(db.session, tenant, chosen)
                db.session.commit()
            except ValidationFailed as refused:
                db.session.rollback()
                error = refused.errors["timezone"]
            else:
                flash(f"Times are now shown in {chosen}.", "success")
                return redirect(url_for(".index"))
        return self.render(
            "tenantry_admin/site_settings.html",
            timezones=timezones.names(),
            chosen=chosen,
            error=error,
        )


def views() -> list[Any]:
    return [
        TenantUserView(User, name="Users", endpoint="users"),
        InvitationsPage(name="Invitations", endpoint="invitations"),
        PluginsPage(name="Plugins", endpoint="plugins"),
        SitePage(name="Site", endpoint="site"),
        AuditLogView(AuditEntry, name="Audit log", endpoint="audit"),
    ]
