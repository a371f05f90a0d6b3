"""The operators' admin: tenants, domains, users of every tenant, operators, plugins.

Every request here runs inside ``all_tenants()`` (see admin/__init__.py):
operators work across tenants on purpose, so tenant columns are shown.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from flask import abort, current_app, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.babel import gettext
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy import inspect as sa_inspect
from wtforms import PasswordField, SelectField
from wtforms.validators import Length, Optional, ValidationError

from tenantry.admin import settings_form
from tenantry.admin.base import AdminPage, IndexView, ModelView, tenant_column
from tenantry.auth.models import MIN_PASSWORD_LENGTH, ROLES, Operator, User
from tenantry.db import db
from tenantry.plugins import enablement
from tenantry.plugins.models import TenantPlugin
from tenantry.plugins.registry import PluginRegistry
from tenantry.plugins.runtime import runtime
from tenantry.tenancy import lifecycle, signals
from tenantry.tenancy.errors import InvalidName
from tenantry.tenancy.hostnames import validate_domain, validate_slug
from tenantry.tenancy.models import STATUSES, Domain, Tenant


def _root_host() -> str:
    return current_app.extensions["tenantry.settings"].root_host


class Dashboard(IndexView):
    @expose("/")
    def index(self):
        session = db.session
        by_status = dict(
            session.execute(select(Tenant.status, func.count()).group_by(Tenant.status)).all()
        )
        registry = runtime().registry
        return self.render(
            "tenantry_admin/dashboard.html",
            by_status={status: by_status.get(status, 0) for status in STATUSES},
            users=session.scalar(select(func.count()).select_from(User)),
            operators=session.scalar(select(func.count()).select_from(Operator)),
            loaded=len(registry.loaded),
            refused=len(registry.refused),
        )


class TenantView(ModelView):
    column_list = ("slug", "name", "status", "domains", "created_at")
    column_searchable_list = ("slug", "name")
    column_filters = ("status", "created_at")
    column_default_sort = ("slug", False)
    form_columns = ("slug", "name", "status")
    form_overrides = {"status": SelectField}
    form_args = {"status": {"choices": list(STATUSES)}}
    can_delete = False  # soft delete: the "Delete" action marks it deleted, data is kept
    column_formatters = {
        "slug": lambda v, c, m, n: Markup(
            '<a href="{}">{}</a>'.format(url_for(".plugins", id=m.id), m.slug)
        ),
    }
    column_descriptions = {"slug": "Subdomain label; fixed once created. Click to manage plugins."}

    def on_form_prefill(self, form, id):
        form.slug.render_kw = {"readonly": True}

    def on_model_change(self, form, model, is_created):
        if is_created:
            try:
                validate_slug(model.slug or "")
            except InvalidName as error:
                raise ValidationError(str(error)) from None
            with db.session.no_autoflush:
                taken = db.session.scalar(select(Tenant.id).where(Tenant.slug == model.slug))
            if taken is not None:
                raise ValidationError(f"a tenant with slug {model.slug!r} already exists")
            return
        history = sa_inspect(model).attrs.status.history
        if history.added and history.deleted:
            # Through the lifecycle, as the CLI does: same rules, same signals.
            model.status = history.deleted[0]
            try:
                lifecycle.set_status(db.session, model, history.added[0])
            except lifecycle.LifecycleError as error:
                raise ValidationError(str(error)) from None
        model.revision += 1

    def after_model_change(self, form, model, is_created):
        if is_created:
            signals.tenant_created.send(model)

    def update_model(self, form, model):
        form.slug.data = model.slug  # the slug names hosts and is never edited
        return super().update_model(form, model)

    def _set_status(self, ids: list[str], status: str, done: str) -> None:
        for tenant in db.session.scalars(
            select(Tenant).where(Tenant.id.in_([int(i) for i in ids]))
        ):
            try:
                lifecycle.set_status(db.session, tenant, status)
            except lifecycle.LifecycleError as error:
                flash(str(error), "error")
        db.session.commit()
        flash(f"{len(ids)} tenant(s) {done}.", "success")

    @action("suspend", "Suspend", "Suspend the selected tenants? Their sites will answer 403.")
    def action_suspend(self, ids):
        self._set_status(ids, "suspended", "suspended")

    @action("resume", "Resume")
    def action_resume(self, ids):
        self._set_status(ids, "active", "resumed")

    @action(
        "soft_delete",
        "Delete",
        "Delete the selected tenants? Their sites will answer 404; data is kept.",
    )
    def action_delete(self, ids):
        self._set_status(ids, "deleted", "deleted")

    @expose("/plugins/", methods=("GET", "POST"))
    def plugins(self):
        tenant_id = request.args.get("id", type=int)
        tenant = db.session.get(Tenant, tenant_id) if tenant_id is not None else None
        if tenant is None:
            abort(404, description="There is no such tenant.")
        registry = runtime().registry
        errors: dict[str, dict[str, str]] = {}
        if request.method == "POST":
            errors = apply_plugin_change(registry, tenant, request.form.get("do", ""))
            if not errors:
                return redirect(url_for(".plugins", id=tenant.id))
        return self.render(
            "tenantry_admin/tenant_plugins.html",
            tenant=tenant,
            **plugin_rows(registry, tenant.id, errors),
        )


def apply_plugin_change(
    registry: PluginRegistry, tenant: Tenant, verb: str
) -> dict[str, dict[str, str]]:
    """Enable, disable or set the settings of the posted plugin for ``tenant``, commit,
    and flash the outcome; return field errors per plugin (empty when it worked)."""
    name = request.form.get("plugin", "")
    plugin = registry.get(name)
    try:
        if verb == "enable":
            done = enablement.enable(db.session, registry, tenant, name)
            flash(f"Enabled: {', '.join(done) or 'nothing new'}.", "success")
        elif verb == "disable":
            enablement.disable(db.session, registry, tenant, name)
            flash(f"Disabled {name}; its data is kept.", "success")
        else:
            values = settings_form.submitted(plugin.settings if plugin else None)
            enablement.update_settings(db.session, registry, tenant, name, values)
            flash(f"Settings of {plugin.title if plugin else name} saved.", "success")
        db.session.commit()
        return {}
    except enablement.PluginSettingsError as error:
        db.session.rollback()
        flash(str(error), "error")
        return {name: settings_form.errors_of(error)}
    except enablement.EnablementError as error:
        db.session.rollback()
        flash(str(error), "error")
        return {name: {}}


def plugin_rows(
    registry: PluginRegistry, tenant_id: int, errors: dict[str, dict[str, str]]
) -> dict:
    rows = {
        r.plugin: r
        for r in db.session.scalars(select(TenantPlugin).where(TenantPlugin.tenant_id == tenant_id))
    }
    entries = []
    for entry in registry:
        row = rows.get(entry.name)
        posted = settings_form.submitted(entry.plugin.settings) if entry.name in errors else None
        entries.append(
            {
                "entry": entry,
                "enabled": bool(row and row.enabled),
                "fields": settings_form.fields(
                    entry.plugin.settings, posted or (row.settings if row else {})
                ),
                "errors": errors.get(entry.name, {}),
            }
        )
    missing = [name for name, row in rows.items() if row.enabled and name not in registry]
    return {"plugins": entries, "missing": missing}


class DomainView(ModelView):
    column_list = ("hostname", "tenant", "created_at")
    column_searchable_list = ("hostname",)
    form_columns = ("tenant", "hostname")

    def on_model_change(self, form, model, is_created):
        try:
            model.hostname = validate_domain(model.hostname or "", _root_host())
        except InvalidName as error:
            raise ValidationError(str(error)) from None


class UserView(ModelView):
    column_list = ("email", "tenant_id", "name", "role", "active", "created_at")
    column_labels = {"tenant_id": "Tenant"}
    column_formatters = {"tenant_id": tenant_column}
    column_searchable_list = ("email", "name")
    column_filters = ("tenant_id", "role", "active")
    form_columns = ("name", "role", "active")
    form_overrides = {"role": SelectField}
    form_args = {"role": {"choices": list(ROLES)}}
    can_create = False  # users are created inside their tenant (tenant admin or CLI)

    @action("disable", "Disable", "Disable the selected accounts? They can no longer log in.")
    def action_disable(self, ids):
        self._set_active(ids, False)

    @action("enable", "Enable")
    def action_enable(self, ids):
        self._set_active(ids, True)

    def _set_active(self, ids: list[str], active: bool) -> None:
        for user in db.session.scalars(select(User).where(User.id.in_([int(i) for i in ids]))):
            user.active = active
        db.session.commit()
        flash(f"{len(ids)} account(s) {'enabled' if active else 'disabled'}.", "success")

    @action("reset_password", "Reset password", "Give the selected accounts new random passwords?")
    def action_reset_password(self, ids):
        for user in db.session.scalars(select(User).where(User.id.in_([int(i) for i in ids]))):
            password = secrets.token_urlsafe(12)
            user.set_password(password)
            flash(f"New password for {user.email}: {password}", "success")
        db.session.commit()


class OperatorView(ModelView):
    column_list = ("email", "active", "created_at")
    column_exclude_list = ("password_hash",)
    # Flask-Admin renders form_extra_fields only when form_columns names them.
    form_columns = ("email", "active", "password")
    form_extra_fields = {
        "password": PasswordField(
            "Password",
            validators=[Optional(), Length(min=MIN_PASSWORD_LENGTH)],
            description="Leave empty to keep the current password.",
        )
    }

    def on_model_change(self, form, model, is_created):
        if form.password.data:
            model.set_password(form.password.data)
        elif is_created:
            raise ValidationError(gettext("A new operator needs a password."))
        model.email = (model.email or "").strip().lower()
        if not model.active and model.id == current_user.record.id:
            raise ValidationError("You cannot disable your own account.")

    def delete_model(self, model):
        if model.id == current_user.record.id:
            flash("You cannot delete your own account.", "error")
            return False
        return super().delete_model(model)


class PluginsView(AdminPage):
    @expose("/")
    def index(self):
        registry = runtime().registry
        usage = enablement.usage(db.session)
        missing = enablement.missing(registry, usage)
        return self.render(
            "tenantry_admin/plugins.html", registry=registry, usage=usage, missing=missing
        )


def views(registry: PluginRegistry) -> Iterable:
    session_views = [
        TenantView(Tenant, name="Tenants", endpoint="tenants"),
        DomainView(Domain, name="Domains", endpoint="domains"),
        UserView(User, name="Users", endpoint="users"),
        OperatorView(Operator, name="Operators", endpoint="operators"),
    ]
    return [*session_views, PluginsView(name="Plugins", endpoint="plugins")]
