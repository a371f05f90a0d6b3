"""The operators' admin: tenants, domains, users of every tenant, operators, plugins.

Every request here runs inside ``all_tenants()`` (see admin/sites.py):
operators work across tenants on purpose, so tenant columns are shown. Every
write goes through ``tenancy.lifecycle`` and ``auth.accounts``, as the CLI's do.
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import abort, current_app, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import func, select
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from tenantry.admin import plugin_forms
from tenantry.admin.base import AdminPage, IndexView, ModelView, posted_ids, tenant_column
from tenantry.auth import accounts
from tenantry.auth.models import MIN_PASSWORD_LENGTH, Operator, Role, User
from tenantry.db import db
from tenantry.errors import Refused, ValidationFailed
from tenantry.plugins import enablement
from tenantry.plugins.runtime import runtime
from tenantry.tenancy import lifecycle
from tenantry.tenancy.models import Domain, Tenant, TenantStatus


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
            by_status={status.value: by_status.get(status, 0) for status in TenantStatus},
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
    form_args = {"status": {"choices": [status.value for status in TenantStatus]}}
    can_delete = False  # the "Delete" action marks it deleted; purging is the CLI's
    column_formatters = {
        "slug": lambda v, c, m, n: Markup('<a href="{}">{}</a>').format(
            url_for(".plugins", id=m.id), m.slug
        ),
    }
    column_descriptions = {"slug": "Subdomain label; fixed once created. Click to manage plugins."}

    def on_form_prefill(self, form, id):
        form.slug.render_kw = {"readonly": True}

    def create(self, form: Any) -> Tenant:
        tenant = lifecycle.create(db.session, form.slug.data, form.name.data)
        lifecycle.set_status(db.session, tenant, form.status.data or TenantStatus.ACTIVE)
        return tenant

    def update(self, form: Any, model: Tenant) -> None:
        # The slug names hosts and is never edited.
        lifecycle.rename(db.session, model, form.name.data)
        lifecycle.set_status(db.session, model, form.status.data)

    def _set_status(self, ids: list[str], status: TenantStatus, done: str) -> None:
        changed = 0
        for tenant in db.session.scalars(select(Tenant).where(Tenant.id.in_(posted_ids(ids)))):
            try:
                lifecycle.set_status(db.session, tenant, status)
                changed += 1
            except Refused as error:
                flash(str(error), "error")
        db.session.commit()
        flash(f"{changed} tenant(s) {done}.", "success")

    @action("suspend", "Suspend", "Suspend the selected tenants? Their sites will answer 403.")
    def action_suspend(self, ids):
        self._set_status(ids, TenantStatus.SUSPENDED, "suspended")

    @action("resume", "Resume")
    def action_resume(self, ids):
        self._set_status(ids, TenantStatus.ACTIVE, "resumed")

    @action(
        "soft_delete",
        "Delete",
        "Delete the selected tenants? Their sites will answer 404; data is kept.",
    )
    def action_delete(self, ids):
        self._set_status(ids, TenantStatus.DELETED, "deleted")

    @expose("/plugins/", methods=("GET", "POST"))
    def plugins(self):
        tenant_id = request.args.get("id", type=int)
        tenant = db.session.get(Tenant, tenant_id) if tenant_id is not None else None
        if tenant is None:
            abort(404, description="There is no such tenant.")
        registry = runtime().registry
        errors: dict[str, dict[str, str]] = {}
        if request.method == "POST":
            errors = plugin_forms.apply_change(registry, tenant, request.form.get("do", ""))
            if not errors:
                return redirect(url_for(".plugins", id=tenant.id))
        return self.render(
            "tenantry_admin/tenant_plugins.html",
            tenant=tenant,
            **plugin_forms.plugin_rows(registry, tenant.id, errors),
        )


class DomainView(ModelView):
    column_list = ("hostname", "tenant", "created_at")
    column_searchable_list = ("hostname",)
    form_columns = ("tenant", "hostname")
    can_edit = False  # a domain moves by removing it and adding it to the other tenant

    def create(self, form: Any) -> Domain:
        return lifecycle.add_domain(db.session, form.tenant.data, form.hostname.data, _root_host())

    def delete(self, model: Domain) -> None:
        lifecycle.remove_domain(db.session, model.tenant, model.hostname)


class UserView(ModelView):
    column_list = ("email", "tenant_id", "name", "role", "active", "created_at")
    column_labels = {"tenant_id": "Tenant"}
    column_formatters = {"tenant_id": tenant_column}
    column_searchable_list = ("email", "name")
    column_filters = ("tenant_id", "role", "active")
    form_columns = ("name", "role", "active")
    form_overrides = {"role": SelectField}
    form_args = {"role": {"choices": [role.value for role in Role]}}
    can_create = False  # users are created inside their tenant (tenant admin or CLI)

    def update(self, form: Any, model: User) -> None:
        accounts.update_user(
            db.session, model, name=form.name.data, role=form.role.data, active=form.active.data
        )

    def delete(self, model: User) -> None:
        accounts.delete_user(db.session, model)

    def _users(self, ids: list[str]) -> list[User]:
        return list(db.session.scalars(select(User).where(User.id.in_(posted_ids(ids)))))

    @action("disable", "Disable", "Disable the selected accounts? They can no longer log in.")
    def action_disable(self, ids):
        self._set_active(ids, False)

    @action("enable", "Enable")
    def action_enable(self, ids):
        self._set_active(ids, True)

    def _set_active(self, ids: list[str], active: bool) -> None:
        users = self._users(ids)
        for user in users:
            accounts.update_user(db.session, user, active=active)
        db.session.commit()
        flash(f"{len(users)} account(s) {'enabled' if active else 'disabled'}.", "success")

    @action("reset_password", "Reset password", "Give the selected accounts new random passwords?")
    def action_reset_password(self, ids):
        for user in self._users(ids):
            password = secrets.token_urlsafe(12)
            accounts.update_user(db.session, user, password=password)
            flash(f"New password for {user.email}: {password}", "success")
        db.session.commit()


class OperatorView(ModelView):
    column_list = ("email", "active", "created_at")
    column_exclude_list = ("password_hash",)
    # Flask-Admin renders form_extra_fields only when form_columns names them.
    form_columns = ("email", "active", "password")
    form_overrides = {"email": StringField}
    form_args = {"email": {"validators": [DataRequired(), Length(max=254)]}}
    form_extra_fields = {
        "password": PasswordField(
            "Password",
            validators=[Optional(), Length(min=MIN_PASSWORD_LENGTH)],
            description="Required for a new operator; on an existing one, leave empty to keep it.",
        )
    }

    def create(self, form: Any) -> Operator:
        if not form.password.data:
            raise ValidationFailed({"password": "A new operator needs a password."})
        return accounts.create_operator(
            db.session, form.email.data, form.password.data, active=form.active.data
        )

    def update(self, form: Any, model: Operator) -> None:
        accounts.update_operator(
            db.session,
            model,
            acting=current_user.record,
            email=form.email.data,
            active=form.active.data,
            password=form.password.data or None,
        )

    def delete(self, model: Operator) -> None:
        accounts.delete_operator(db.session, model, acting=current_user.record)


class PluginsView(AdminPage):
    @expose("/")
    def index(self):
        registry = runtime().registry
        usage = enablement.usage(db.session)
        missing = enablement.missing(registry, usage)
        return self.render(
            "tenantry_admin/plugins.html", registry=registry, usage=usage, missing=missing
        )


def views() -> list[Any]:
    return [
        TenantView(Tenant, name="Tenants", endpoint="tenants"),
        DomainView(Domain, name="Domains", endpoint="domains"),
        UserView(User, name="Users", endpoint="users"),
        OperatorView(Operator, name="Operators", endpoint="operators"),
        PluginsView(name="Plugins", endpoint="plugins"),
    ]
