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
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional

from tenantry.admin import plugin_forms
from tenantry.admin.audit import AuditLogView
from tenantry.admin.base import AdminPage, IndexView, ModelView, PasswordOnCreate, password_field
from tenantry.admin.invitations import InvitationsPage
from tenantry.auditlog import AuditEntry
from tenantry.auth import accounts, oidc
from tenantry.auth.forms import EMAIL_SHAPE
from tenantry.auth.models import OidcProvider, Role, User
from tenantry.db import db
from tenantry.errors import ValidationFailed
from tenantry.plugins.runtime import runtime
from tenantry.tenancy import lifecycle, locales, timezones
from tenantry.tenancy.context import current_tenant


class Dashboard(IndexView):
    @expose("/")
    def index(self):
        enabled = runtime().enabled()
        return self.render(
            "tenantry_admin/tenant_dashboard.html",
            users=db.session.scalar(select(func.count()).select_from(User)),
            plugins=[e for e in runtime().registry if e.name in enabled],
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
        "create": _l("User {name} created."),
        "update": _l("User {name} saved."),
        "delete": _l("User {name} deleted."),
    }

    def create(self, form: Any) -> User:
        if not form.password.data:
            raise ValidationFailed({"password": gettext("A new account needs a password.")})
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


class OidcProviderView(ModelView):
    """The tenant's OpenID Connect issuers ("Sign in with ..." on its login page).

    Scope: the session layer confines the list, the forms and every write to the
    current tenant. The client secret is write-only: no column, details page or form
    shows it (the form's field is a password field, empty on edit: empty keeps it).
    Writes go through ``auth.oidc.save_provider`` (its rules, its audit entries).
    """

    column_list = ("name", "issuer", "client_id", "allowed_domains", "auto_provision", "enabled")
    column_details_list = (
        "name",
        "issuer",
        "client_id",
        "allowed_domains",
        "auto_provision",
        "default_role",
        "enabled",
        "created_at",
    )
    column_labels = {"client_id": "Client id", "auto_provision": "Creates accounts"}
    form_columns = (
        "name",
        "issuer",
        "client_id",
        "new_client_secret",
        "allowed_domains",
        "auto_provision",
        "default_role",
        "enabled",
    )
    form_overrides = {"default_role": SelectField}
    form_args = {
        "default_role": {"choices": [role.value for role in Role], "label": "Role of new accounts"},
        "issuer": {"description": "The issuer's URL, e.g. https://login.example.com."},
        "allowed_domains": {
            "description": "Email domains that may sign in, e.g. example.com; empty: any."
        },
        "auto_provision": {
            "label": "Create accounts",
            "description": "Give anyone allowed in an account on first sign-in; off: only "
            "people who already have an account here may sign in this way.",
        },
    }
    form_extra_fields = {
        "new_client_secret": PasswordField(
            "Client secret",
            validators=[Optional(), Length(max=500)],
            render_kw={"autocomplete": "new-password"},
        )
    }
    done_messages = {
        "create": "Sign-in provider {name} created.",
        "update": "Sign-in provider {name} saved.",
        "delete": "Sign-in provider {name} deleted.",
    }

    def edit_form(self, obj: Any = None) -> Any:
        form = super().edit_form(obj)
        form.new_client_secret.description = "Leave empty to keep the current secret."
        return form

    def _save(self, form: Any, model: OidcProvider | None) -> OidcProvider:
        return oidc.save_provider(
            db.session,
            model,
            name=form.name.data,
            issuer=form.issuer.data,
            client_id=form.client_id.data,
            client_secret=form.new_client_secret.data or "",
            allowed_domains=form.allowed_domains.data or "",
            auto_provision=form.auto_provision.data,
            default_role=form.default_role.data,
            enabled=form.enabled.data,
        )

    def create(self, form: Any) -> OidcProvider:
        return self._save(form, None)

    def update(self, form: Any, model: OidcProvider) -> None:
        self._save(form, model)

    def delete(self, model: OidcProvider) -> None:
        oidc.delete_provider(db.session, model)


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
    """Tenant admins choose how their site shows times and which language it speaks to
    people who chose none (operators set both on the tenant too). Tenant scope: the
    current tenant's row only, found by its slug."""

    @expose("/", methods=("GET", "POST"))
    def index(self):
        tenant = lifecycle.find(db.session, current_tenant.slug)
        chosen = {"timezone": tenant.timezone, "locale": tenant.locale or ""}
        errors: dict[str, str] = {}
        if request.method == "POST":
            chosen = {name: request.form.get(name, "") for name in chosen}
            try:
                lifecycle.set_timezone(db.session, tenant, chosen["timezone"])
                lifecycle.set_locale(db.session, tenant, chosen["locale"])
                db.session.commit()
            except ValidationFailed as refused:
                db.session.rollback()
                errors = refused.errors
            else:
                flash(gettext("Site settings saved."), "success")
                return redirect(url_for(".index"))
        return self.render(
            "tenantry_admin/site_settings.html",
            timezones=timezones.names(),
            locales=locales.LOCALES,
            chosen=chosen,
            errors=errors,
        )


def views() -> list[Any]:
    return [
        TenantUserView(User, name=_l("Users"), endpoint="users"),
        InvitationsPage(name=_l("Invitations"), endpoint="invitations"),
        PluginsPage(name=_l("Plugins"), endpoint="plugins"),
        SitePage(name=_l("Site"), endpoint="site"),
        OidcProviderView(OidcProvider, name=_l("Sign-in"), endpoint="sign_in"),
        AuditLogView(AuditEntry, name=_l("Audit log"), endpoint="audit"),
    ]
