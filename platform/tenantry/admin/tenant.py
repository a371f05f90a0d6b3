"""Each tenant's own admin (/manage on its host): its users, its plugins' settings and views.

Nothing here filters by tenant: the session layer confines every query, get
and count to the current tenant, which is what makes this view safe.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import flash, g, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user
from sqlalchemy import func, select
from wtforms import PasswordField, SelectField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from tenantry.admin.base import AdminPage, IndexView, ModelView
from tenantry.admin.platform import apply_plugin_change, plugin_rows
from tenantry.auth.forms import EMAIL_SHAPE
from tenantry.auth.models import MIN_PASSWORD_LENGTH, ROLES, User
from tenantry.db import db
from tenantry.plugins.runtime import runtime
from tenantry.tenancy.lifecycle import find


class Dashboard(IndexView):
    @expose("/")
    def index(self):
        enabled = runtime().enabled()
        return self.render(
            "tenantry_admin/tenant_dashboard.html",
            users=db.session.scalar(select(func.count()).select_from(User)),
            plugins=[e for e in runtime().registry if e.name in enabled],
        )


class TenantUserView(ModelView):
    column_list = ("email", "name", "role", "active", "created_at")
    column_searchable_list = ("email", "name")
    column_filters = ("role", "active")
    # Flask-Admin renders form_extra_fields only when form_columns names them.
    form_columns = ("email", "name", "role", "active", "password")
    form_overrides = {"role": SelectField}
    form_args = {
        "role": {"choices": list(ROLES)},
        "email": {"validators": [InputRequired(), EMAIL_SHAPE, Length(max=254)]},
    }
    form_extra_fields = {
        "password": PasswordField(
            "Password",
            validators=[Optional(), Length(min=MIN_PASSWORD_LENGTH)],
            description="Required for a new account; leave empty to keep the current one.",
        )
    }

    def on_model_change(self, form, model, is_created):
        model.email = model.email.strip().lower()
        with db.session.no_autoflush:
            clash = db.session.scalar(
                select(User.id).where(
                    func.lower(User.email) == model.email, User.id != (model.id or 0)
                )
            )
        if clash is not None:
            raise ValidationError(f"{model.email} already has an account here")
        if form.password.data:
            model.set_password(form.password.data)
        elif is_created:
            raise ValidationError("A new account needs a password.")
        if (
            not is_created
            and model.id == current_user.user.id
            and (model.role != "admin" or not model.active)
        ):
            raise ValidationError("You cannot remove your own admin rights or disable yourself.")

    def delete_model(self, model):
        if model.id == current_user.user.id:
            flash("You cannot delete your own account.", "error")
            return False
        return super().delete_model(model)


class PluginSettingsPage(AdminPage):
    """Tenant admins tune the settings of the plugins operators enabled for them."""

    @expose("/", methods=("GET", "POST"))
    def index(self):
        registry = runtime().registry
        tenant = find(db.session, g.tenant.slug)
        errors: dict[str, dict[str, str]] = {}
        if request.method == "POST":
            # Tenant admins edit settings only; enabling stays with the operators.
            errors = apply_plugin_change(registry, tenant, "settings")
            if not errors:
                return redirect(url_for(".index"))
        rows = plugin_rows(registry, tenant.id, errors)
        rows["plugins"] = [row for row in rows["plugins"] if row["enabled"]]
        return self.render("tenantry_admin/tenant_settings.html", **rows)


def views() -> Iterable:
    return [
        TenantUserView(User, name="Users", endpoint="users"),
        PluginSettingsPage(name="Plugin settings", endpoint="plugin_settings"),
    ]
