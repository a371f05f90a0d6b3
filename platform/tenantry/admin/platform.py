"""The operators' admin: tenants, domains, users of every tenant, operators, plugins.

Every request here runs inside ``all_tenants()`` (see admin/sites.py):
operators work across tenants on purpose, so tenant columns are shown. Every
write goes through ``tenancy.lifecycle`` and ``auth.accounts``, as the CLI's do.
"""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, request, send_file, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import func, select
from wtforms import EmailField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from tenantry import mail, operations
from tenantry.admin import plugin_forms
from tenantry.admin.audit import AuditLogView, PlatformAuditLogView
from tenantry.admin.base import (
    AdminPage,
    IndexView,
    ModelView,
    PasswordOnCreate,
    password_field,
    row_keys,
    tenant_column,
)
from tenantry.admin.filters import INTEGER_MAX
from tenantry.admin.invitations import InvitationsPage
from tenantry.admin.usage_charts import platform_charts
from tenantry.auditlog import AuditEntry, PlatformAuditEntry
from tenantry.auth import accounts, invitations, resets
from tenantry.auth.forms import EMAIL_SHAPE
from tenantry.auth.models import Operator, Role, User
from tenantry.db import db
from tenantry.errors import Refused, ValidationFailed
from tenantry.instrument import recent_slow
from tenantry.links import site_url
from tenantry.operations import OperationKind
from tenantry.plugins import enablement
from tenantry.plugins.runtime import runtime
from tenantry.tenancy import lifecycle, timezones
from tenantry.tenancy.models import Domain, Tenant, TenantStatus

#: Slow requests listed on the dashboard (slowest first).
SLOW_SHOWN = 20


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
            charts=platform_charts(session),
            slow=recent_slow(current_app)[:SLOW_SHOWN],
        )


def _site_link(_view: Any, _context: Any, model: Tenant, _name: str) -> Markup:
    if model.status == TenantStatus.DELETED:
        return Markup('<span class="text-muted">closed</span>')
    return Markup('<a href="{0}" target="_blank" rel="noopener">{0}</a>').format(site_url(model))


class TenantView(ModelView):
    column_list = (
        "slug",
        "name",
        "status",
        "site",
        "domains",
        "timezone",
        "purge_after",
        "created_at",
    )
    column_labels = {"purge_after": "Purged after"}
    # The revision is bookkeeping for caches, not something an operator acts on.
    column_details_list = (
        "slug",
        "name",
        "status",
        "domains",
        "timezone",
        "purge_after",
        "created_at",
    )
    column_searchable_list = ("slug", "name")
    column_filters = ("status", "created_at")
    column_default_sort = ("slug", False)
    # Flask-Admin renders form_extra_fields only when form_columns names them.
    form_columns = ("slug", "name", "status", "timezone", "first_admin")
    form_overrides = {"status": SelectField, "timezone": SelectField}
    form_args = {
        "status": {"choices": [TenantStatus.ACTIVE.value, TenantStatus.SUSPENDED.value]},
        "timezone": {"choices": timezones.names, "default": timezones.DEFAULT},
    }
    form_extra_fields = {
        "first_admin": EmailField(
            "First admin's email",
            validators=[Optional(), EMAIL_SHAPE, Length(max=254)],
            description="Optional: they get an invitation to choose a password on the new site.",
        )
    }
    can_delete = False  # deleting is two steps, on its own page (Delete tenant…)
    column_formatters = {
        "slug": lambda v, c, m, n: Markup('<a href="{}" title="Plugins of {}">{}</a>').format(
            url_for(".plugins", id=m.id), m.slug, m.slug
        ),
        "site": _site_link,
    }
    column_descriptions = {
        "slug": "The tenant's subdomain; it cannot change once the tenant exists.",
        "timezone": "Times on the tenant's pages are shown in this zone.",
    }
    done_messages = {
        "create": "Tenant {name} created.",
        "update": "Tenant {name} saved.",
        "delete": "Tenant {name} deleted.",
    }

    def create_form(self, obj: Any = None) -> Any:
        form = super().create_form(obj)
        # Flask-Admin renders descriptions as HTML: escape the text.
        form.slug.description = escape(
            f"Its site will be at <slug>.{_root_host()}; fixed once created."
        )
        return form

    def edit_form(self, obj: Any = None) -> Any:
        form = super().edit_form(obj)
        del form.first_admin  # invite further admins from the tenant's own admin
        if obj is not None and obj.status == TenantStatus.DELETED:
            form.status.choices = [TenantStatus.DELETED.value]
        form.slug.render_kw = {"readonly": True}
        form.slug.description = "Fixed: it names the tenant's hosts."
        return form

    def create(self, form: Any) -> Tenant:
        session = db.session
        tenant = lifecycle.create(session, form.slug.data, form.name.data)
        lifecycle.set_status(session, tenant, form.status.data or TenantStatus.ACTIVE)
        lifecycle.set_timezone(session, tenant, form.timezone.data or timezones.DEFAULT)
        if form.first_admin.data:
            try:
                invitations.invite(
                    session,
                    tenant,
                    form.first_admin.data,
                    Role.ADMIN,
                    invited_by=current_user.email,
                )
            except ValidationFailed as error:
                raise ValidationFailed({"first_admin": error.errors["email"]}) from None
        return tenant

    def create_model(self, form: Any) -> Any:
        created = super().create_model(form)
        if created and form.first_admin.data:
            flash(f"Invited {form.first_admin.data} to be its first admin.", "success")
        return created

    def update(self, form: Any, model: Tenant) -> None:
        # The slug names hosts and is never edited.
        lifecycle.rename(db.session, model, form.name.data)
        lifecycle.set_status(db.session, model, form.status.data)
        lifecycle.set_timezone(db.session, model, form.timezone.data)

    def _set_status(self, ids: list[str], status: TenantStatus, done: str) -> None:
        changed = 0
        for tenant in db.session.scalars(
            select(Tenant).where(Tenant.id.in_(row_keys(ids, limit=INTEGER_MAX)))
        ):
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

    @expose("/delete/", methods=("GET", "POST"))
    def delete_page(self):
        """Step one shows what deleting does; step two (the form, with the slug typed) does it."""
        tenant = self._tenant()
        errors: dict[str, str] = {}
        if request.method == "POST":
            done, errors = self._delete_step_two(tenant, request.form)
            if done:
                return redirect(url_for(".index_view"))
        counts = {k: v for k, v in lifecycle.row_counts(db.session, tenant).items() if v}
        return self.render(
            "tenantry_admin/tenant_delete.html",
            tenant=tenant,
            counts=counts,
            total=sum(counts.values()),
            errors=errors,
            grace_days=request.form.get("grace_days", "0"),
        )

    def _delete_step_two(self, tenant: Tenant, posted: Any) -> tuple[bool, dict[str, str]]:
        """Delete (purging at once as a job when no grace period), purge now, or cancel."""
        session = db.session
        verb, slug, tenant_id = posted.get("do", ""), tenant.slug, tenant.id
        if verb in ("delete", "purge") and posted.get("confirm", "").strip() != slug:
            return False, {"confirm": f"Type {slug} to confirm."}
        try:
            if verb == "delete":
                days = _days(posted.get("grace_days", "0"))
                lifecycle.delete(session, tenant, grace_days=days)
                if days:
                    done = (
                        f"Tenant {slug} deleted: its sites are closed; its data is purged "
                        f"after {tenant.purge_after:%Y-%m-%d %H:%M} UTC."
                    )
                else:
                    operations.start(session, tenant, OperationKind.PURGE, current_user.email)
                    done = f"Tenant {slug} deleted; its data is being purged."
            elif verb == "purge":
                operations.start(session, tenant, OperationKind.PURGE, current_user.email)
                done = f"Purging {slug}; its slug is free again once it is done."
            elif verb == "cancel":
                lifecycle.cancel_deletion(session, tenant)
                done = f"Deletion of {slug} cancelled; it is suspended until you resume it."
            else:
                return False, {}
            session.commit()  # a purge job runs (or, with no worker, is run) on commit
            if verb in ("delete", "purge") and not _exists(tenant_id):
                done = f"Tenant {slug} deleted and purged; the slug is free again."
        except ValidationFailed as error:
            session.rollback()
            return False, error.errors
        except Refused as error:
            session.rollback()
            flash(str(error), "error")
            return False, {}
        flash(done, "success")
        return True, {}

    @expose("/plugins/", methods=("GET", "POST"))
    def plugins(self):
        tenant = self._tenant()
        registry = runtime().registry
        errors: dict[str, dict[str, str]] = {}
        if request.method == "POST":
            verb = request.form.get("do", "")
            errors = plugin_forms.apply_change(registry, tenant, verb, by_tenant_admin=False)
            if not errors:
                return redirect(url_for(".plugins", id=tenant.id))
        return self.render(
            "tenantry_admin/tenant_plugins.html",
            tenant=tenant,
            site_url=site_url(tenant),
            **plugin_forms.plugin_rows(registry, tenant.id, errors),
        )

    @expose("/data/", methods=("GET", "POST"))
    def data(self):
        """The tenant's rows per table, its exports (progress, download) and purges."""
        tenant = self._tenant()
        if request.method == "POST":
            self._start(tenant, request.form.get("do", ""))
            return redirect(url_for(".data", id=tenant.id))
        history = operations.recent(db.session, tenant)
        return self.render(
            "tenantry_admin/tenant_data.html",
            tenant=tenant,
            counts=lifecycle.row_counts(db.session, tenant),
            history=[(op, operations.export_path(op) is not None) for op in history],
            busy=any(op.active for op in history),
            inline=not current_app.extensions["tenantry.settings"].jobs_url,
        )

    @expose("/export/<int:operation_id>")
    def download(self, operation_id: int):
        """A finished export, as a download (operators only, like every view here)."""
        operation = db.session.get(operations.TenantOperation, operation_id)
        path = operations.export_path(operation) if operation is not None else None
        if path is None:
            abort(404, description="There is no such export, or it is not finished.")
        return send_file(path, as_attachment=True, download_name=path.name)

    def _tenant(self) -> Tenant:
        """The tenant ``?id=`` names; 404 for none, or an id no key can hold."""
        keys = row_keys([request.args.get("id", "")], limit=INTEGER_MAX)  # tenant ids: int
        tenant = db.session.get(Tenant, keys[0]) if keys else None
        if tenant is None:
            abort(404, description="There is no such tenant.")
        return tenant

    def _start(self, tenant: Tenant, verb: str) -> None:
        """Start an export (purging is a step of deleting: see delete_page)."""
        if verb != "export":
            abort(400, description="Unknown operation.")
        kind = OperationKind.EXPORT
        try:
            operation = operations.start(db.session, tenant, kind, current_user.email)
            db.session.commit()  # the job is queued (or, with no worker, run) on commit
        except Refused as error:
            db.session.rollback()
            flash(str(error), "error")
            return
        db.session.refresh(operation)  # with no worker, the job has already run
        if operation.status == operations.OperationStatus.DONE:
            flash(f"{kind.capitalize()} of {tenant.slug} done.", "success")
        elif operation.status == operations.OperationStatus.FAILED:
            flash(f"{kind.capitalize()} of {tenant.slug} failed: {operation.error}", "error")
        else:
            flash(f"{kind.capitalize()} of {tenant.slug} started.", "success")


class DomainView(ModelView):
    column_list = ("hostname", "tenant", "created_at")
    column_searchable_list = ("hostname",)
    form_columns = ("tenant", "hostname")
    can_edit = False  # a domain moves by removing it and adding it to the other tenant
    done_messages = {
        "create": "Domain {name} added.",
        "update": "Domain {name} saved.",
        "delete": "Domain {name} removed.",
    }

    def create(self, form: Any) -> Domain:
        return lifecycle.add_domain(db.session, form.tenant.data, form.hostname.data, _root_host())

    def delete(self, model: Domain) -> None:
        lifecycle.remove_domain(db.session, model.tenant, model.hostname)


class UserView(ModelView):
    column_list = ("email", "tenant_id", "name", "role", "active", "created_at")
    column_details_list = column_list
    column_labels = {"tenant_id": "Tenant"}
    column_formatters = {"tenant_id": tenant_column}
    column_searchable_list = ("email", "name")
    column_filters = ("tenant_id", "role", "active")
    form_columns = ("name", "role", "active")
    form_overrides = {"role": SelectField}
    form_args = {"role": {"choices": [role.value for role in Role]}}
    can_create = False  # users are created inside their tenant (tenant admin or CLI)
    done_messages = {
        "create": "User {name} created.",
        "update": "User {name} saved.",
        "delete": "User {name} deleted.",
    }

    def update(self, form: Any, model: User) -> None:
        accounts.update_user(
            db.session, model, name=form.name.data, role=form.role.data, active=form.active.data
        )

    def delete(self, model: User) -> None:
        accounts.delete_user(db.session, model)

    def _users(self, ids: list[str]) -> list[User]:
        return list(db.session.scalars(select(User).where(User.id.in_(row_keys(ids)))))

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

    @action(
        "reset_password",
        "Reset password",
        "Reset the passwords of the selected accounts? Their current passwords and sessions "
        "stop working now, and each gets an email with a link to choose a new one.",
    )
    def action_reset_password(self, ids):
        users = self._users(ids)
        for user in users:
            tenant = db.session.get(Tenant, user.tenant_id)
            accounts.lock_password(db.session, user)
            resets.send_link(db.session, user, tenant, by_operator=True)
        report_reset(len(users))


class OperatorView(PasswordOnCreate, ModelView):
    column_list = ("email", "active", "created_at")
    column_details_list = ("email", "active", "created_at")
    # Flask-Admin renders form_extra_fields only when form_columns names them.
    form_columns = ("email", "active", "password")
    form_overrides = {"email": StringField}
    form_args = {"email": {"validators": [DataRequired(), Length(max=254)]}}
    form_extra_fields = {"password": password_field()}
    done_messages = {
        "create": "Operator {name} created.",
        "update": "Operator {name} saved.",
        "delete": "Operator {name} deleted.",
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

    @action(
        "reset_password",
        "Reset password",
        "Reset the passwords of the selected operators? Their current passwords and sessions "
        "stop working now, and each gets an email with a link to choose a new one.",
    )
    def action_reset_password(self, ids):
        chosen = list(
            db.session.scalars(
                select(Operator).where(Operator.id.in_(row_keys(ids, limit=INTEGER_MAX)))
            )
        )
        if any(operator.id == current_user.record.id for operator in chosen):
            flash("Change your own password on your account page instead.", "error")
            return
        for operator in chosen:
            accounts.lock_password(db.session, operator)
            resets.send_link(db.session, operator, None, by_operator=True)
        report_reset(len(chosen))


def report_reset(count: int) -> None:
    """Commit the resets (which sends their mail) and say what happened."""
    db.session.commit()
    problems = mail.undelivered(db.session)
    flash(f"{count} account(s) reset; {count - len(problems)} reset link(s) sent.", "success")
    for problem in problems:
        flash(f"{problem} Reset the account again once it is fixed.", "error")


def _exists(tenant_id: int) -> bool:
    """Whether the tenant is still there (a purge with no worker is over before we ask)."""
    return db.session.scalar(select(Tenant.id).where(Tenant.id == tenant_id)) is not None


def _days(raw: str) -> float:
    try:
        return float(raw or 0)
    except ValueError:
        raise ValidationFailed({"grace_days": "a number of days, 0 for at once"}) from None


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
        InvitationsPage(name="Operator invitations", endpoint="invitations"),
        PluginsView(name="Plugins", endpoint="plugins"),
        PlatformAuditLogView(AuditEntry, name="Audit log", endpoint="audit"),
        AuditLogView(PlatformAuditEntry, name="Platform events", endpoint="platform_audit"),
    ]
