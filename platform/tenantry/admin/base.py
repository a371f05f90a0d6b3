"""The base every admin view inherits, core's and plugins': who may open it, and how it writes.

Tenant confinement is not done here: Flask-Admin loads rows with
``session.get`` and counts with its own queries, so scoping lives in the
session layer (tenancy.scoping), which covers both. Here we decide who may
open a view (operators on the root host for the platform admin; the tenant's
admins on its host, and only for plugins it enabled, for the tenant admin),
and route every write through the same service functions as the pages, the
API and the CLI.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from enum import Enum
from typing import Any

from flask import abort, flash, get_flashed_messages, has_app_context, redirect, request, url_for
from flask_admin import AdminIndexView, BaseView
from flask_admin.actions import action

# Flask-Admin's own words come from its own catalogs (its "admin" domain): named apart
# from ours, so that extracting our catalogs leaves them out.
from flask_admin.babel import gettext as admin_gettext
from flask_admin.babel import lazy_gettext as admin_lazy_gettext
from flask_admin.babel import ngettext as admin_ngettext
from flask_admin.contrib.sqla import ModelView as SqlaModelView
from flask_admin.contrib.sqla.form import AdminModelConverter
from flask_admin.contrib.sqla.tools import get_query_for_ids
from flask_admin.contrib.sqla.validators import Unique
from flask_admin.model import form as admin_form
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy.exc import DataError, IntegrityError
from wtforms import PasswordField
from wtforms.fields.core import UnboundField
from wtforms.validators import InputRequired, Length, Optional

from tenantry import mail
from tenantry.admin.filters import FilterConverter
from tenantry.auth.models import MIN_PASSWORD_LENGTH
from tenantry.db import db
from tenantry.errors import Refused, ValidationFailed
from tenantry.forms import Form
from tenantry.inputs import MAX_KEY
from tenantry.pagination import MAX_PAGE
from tenantry.plugins.runtime import is_enabled, runtime
from tenantry.tenancy.context import get_tenant
from tenantry.tenancy.mixins import TenantScoped
from tenantry.tenancy.models import Tenant
from tenantry.tenancy.timezones import when

PLATFORM = "platform"
TENANT = "tenant"
#: What an admin sees when the database refuses a write: never the SQL.
INTEGRITY_MESSAGE = {
    "create": _l("Not saved: it would duplicate a record or refer to one that does not exist."),
    "update": _l("Not saved: it would duplicate a record or refer to one that does not exist."),
    "delete": _l("Not deleted: other records still refer to it."),
}


class _CurrentSession:
    """What Flask-Admin sees as its session: always the current request's TenantSession.

    Resolved on each attribute access (views are built before any request).
    """

    session = None  # tells Flask-Admin's deprecation check this is a "db" object

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or not has_app_context():
            raise AttributeError(name)
        return getattr(db.session, name)


session_proxy: Any = _CurrentSession()


#: Flask-Admin's own success flashes, which say nothing about what was written: every
#: write through ``ModelView`` flashes its own sentence instead, and these are dropped.
GENERIC_FLASHES = (
    "Record was successfully created.",
    "Record was successfully saved.",
    "Record was successfully deleted.",
)


def admin_messages() -> list[tuple[str, str]]:
    """The flashed messages an admin page shows: Flask-Admin's generic ones left out."""
    generic = {admin_gettext(text) for text in GENERIC_FLASHES}
    return [
        (category, message)
        for category, message in get_flashed_messages(with_categories=True)
        if message not in generic
    ]


def may_open(view: BaseView) -> bool:
    admin = getattr(view, "admin", None)
    scope = getattr(admin, "tenantry_scope", None)
    if not current_user.is_authenticated:
        return False
    plugin = getattr(view, "tenantry_plugin", None)
    if plugin is not None and plugin not in runtime().registry:
        return False  # refused after its views were built
    if scope == PLATFORM:
        return get_tenant() is None and current_user.is_operator
    if scope == TENANT:
        return (
            get_tenant() is not None
            and current_user.is_tenant_admin
            and (plugin is None or is_enabled(plugin))
        )
    return False


def tenant_column(_view: Any, _context: Any, model: Any, _name: str) -> str:
    """Column formatter for platform views: the slug of the row's tenant."""
    tenant = db.session.get(Tenant, model.tenant_id)  # identity map: one query per tenant
    return tenant.slug if tenant else "?"


def _moment(_view: Any, value: datetime, _name: str) -> Markup:
    return when(value)


def _yes_no(_view: Any, value: bool, _name: str) -> str:
    return "Yes" if value else "No"


def _nothing(_view: Any, _value: None, _name: str) -> str:
    return ""


def _member(_view: Any, value: Enum, _name: str) -> str:
    return str(value.value)


#: How a value reads in lists and details: times in the tenant's zone to the minute,
#: words for booleans, nothing for an empty optional field (never "None" or "null").
FORMATTERS: dict[type, Callable[..., Any]] = {
    type(None): _nothing,
    bool: _yes_no,
    datetime: _moment,
    Enum: _member,
    list: lambda _v, values, _n: ", ".join(str(v) for v in values),
}


#: Labels of the columns many views share ("Created", not Flask-Admin's "Created At").
COLUMN_LABELS = {"created_at": "Created", "updated_at": "Updated", "tenant_id": "Tenant"}


class ModelConverter(AdminModelConverter):
    """Flask-Admin's form fields by column type: UtcDateTime is edited as a datetime."""

    @admin_form.converts("UtcDateTime")
    def conv_utc_datetime(self, field_args: Any, **extra: Any) -> Any:
        return self.convert_datetime(field_args, **extra)


class SecureView:
    """Mixin: deny by default; anonymous people go to the login page, others get 403."""

    tenantry_plugin: str | None = None

    def is_accessible(self) -> bool:
        return may_open(self)  # type: ignore[arg-type]

    def inaccessible_callback(self, name: str, **kwargs: Any):
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        abort(403, description="This area is for administrators only.")


class AdminPage(SecureView, BaseView):
    """A custom admin page."""


class IndexView(SecureView, AdminIndexView):
    pass


class ModelView(SecureView, SqlaModelView):
    """Base of every model view: CSRF-protected forms, tenant-safe queries, one write path.

    Override ``create``, ``update`` and ``delete`` to call your plugin's service, so
    the admin applies the same rules and sends the same signals as your pages and
    API. The defaults write the row as Flask-Admin would. Each runs in one
    transaction: a ``ValidationFailed`` shows its messages under the form's fields,
    any other ``Refused`` and an integrity error are shown in words, and nothing is
    written.
    """

    form_base_class = Form  # Flask-WTF's: one CSRF mechanism app-wide
    page_size = 25
    can_view_details = True
    can_export = False
    column_type_formatters = FORMATTERS
    # Secrets and cache bookkeeping never show in a details page.
    column_details_exclude_list = ("password_hash", "token_hash", "revision")
    column_type_formatters_detail = FORMATTERS
    filter_converter = FilterConverter()
    model_form_converter = ModelConverter
    #: What a successful write says, ``{name}`` being the record's ``str()``. Views
    #: override it with sentences that name the kind of record ("Tenant {name} created.").
    #: What a write says, ``{name}`` being the row's str(); lazy_gettext strings are
    #: said in the request's language.
    done_messages: dict[str, Any] = {
        "create": _l("{name} created."),
        "update": _l("{name} saved."),
        "delete": _l("{name} deleted."),
    }

    def __init__(
        self, model: type, name: str | None = None, endpoint: str | None = None, **kwargs: Any
    ):
        super().__init__(model, session_proxy, name=name, endpoint=endpoint, **kwargs)

    def scaffold_pk(self) -> Any:
        """A tenant table's row is named by its ``id`` alone (unique in its table), so
        admin URLs keep one id; the session supplies the tenant (``TenantSession.get``)."""
        return "id" if issubclass(self.model, TenantScoped) else super().scaffold_pk()

    def scaffold_form(self) -> Any:
        """Flask-Admin's form without its ``Unique`` validators: uniqueness is the
        service's rule (its message says what is taken) and the database's."""
        form_class = super().scaffold_form()
        for unbound in vars(form_class).values():
            if isinstance(unbound, UnboundField) and unbound.kwargs.get("validators"):
                unbound.kwargs["validators"] = [
                    v for v in unbound.kwargs["validators"] if not isinstance(v, Unique)
                ]
        return form_class

    def get_column_name(self, field: str) -> str:
        """The view's own label, else ours for the columns every view shares, else Flask-Admin's."""
        if self.column_labels and field in self.column_labels:
            return self.column_labels[field]
        return COLUMN_LABELS.get(field) or super().get_column_name(field)

    # --- the write path: override these three --------------------------------------------

    def create(self, form: Any) -> Any:
        """Make and flush the new row from the form; return it."""
        model = self.build_new_instance()
        form.populate_obj(model)
        db.session.add(model)
        db.session.flush()
        return model

    def update(self, form: Any, model: Any) -> None:
        """Apply the form to ``model`` and flush."""
        form.populate_obj(model)
        db.session.flush()

    def delete(self, model: Any) -> None:
        """Delete ``model`` and flush."""
        db.session.delete(model)
        db.session.flush()

    # --- Flask-Admin's entry points, each one transaction -----------------------------

    @action(
        "delete",
        admin_lazy_gettext("Delete"),
        admin_lazy_gettext("Are you sure you want to delete selected records?"),
    )
    def action_delete(self, ids: Any) -> None:
        """The bulk "Delete": each selected row through ``delete_model`` (the write path).

        Rows of a tenant table are selected by their single id, as the list shows them
        (Flask-Admin's own action would want the whole key ``(tenant_id, id)``).
        """
        if issubclass(self.model, TenantScoped):
            query = self.get_query().filter(self.model.id.in_(row_keys(ids)))
        else:
            # the posted ids as the integers the key holds (compared as text, PostgreSQL
            # refused every one of them)
            query = get_query_for_ids(self.get_query(), self.model, row_keys(ids))
        count = sum(1 for row in query.all() if self.delete_model(row))
        deleted = "%(count)s records were successfully deleted."
        flash(
            admin_ngettext("Record was successfully deleted.", deleted, count, count=count),
            "success",
        )

    def create_model(self, form: Any) -> Any:
        created: list[Any] = []
        if self._write("create", form, lambda: created.append(self.create(form))):
            self._done("create", created[0])
            return created[0]
        return False

    def update_model(self, form: Any, model: Any) -> bool:
        if self._write("update", form, lambda: self.update(form, model)):
            self._done("update", model)
            return True
        return False

    def delete_model(self, model: Any) -> bool:
        name = str(model)  # before the row is gone
        if self._write("delete", None, lambda: self.delete(model)):
            flash(str(self.done_messages["delete"]).format(name=name), "success")
            return True
        return False

    def _done(self, verb: str, model: Any) -> None:
        flash(str(self.done_messages[verb]).format(name=model), "success")

    def _write(self, verb: str, form: Any, work: Callable[[], Any]) -> bool:
        session = db.session
        try:
            work()
            session.commit()
            for problem in mail.undelivered(session):
                flash(gettext("Saved, but: %(problem)s", problem=problem), "error")
            return True
        except ValidationFailed as error:
            session.rollback()
            _show_on_form(form, error)
        except Refused as error:
            session.rollback()
            flash(str(error), "error")
        except IntegrityError:
            session.rollback()
            flash(str(INTEGRITY_MESSAGE[verb]), "error")
        return False

    # Flask-Admin's own count query, select(count(*)).select_from(Model), is confined by
    # the session layer like every other statement (tests/admin: "List (1)").

    def get_one(self, id: Any) -> Any:
        """None for an id that is not even of the key's type (Flask-Admin passes it raw)."""
        try:
            return super().get_one(id)
        except (ValueError, TypeError, OverflowError, DataError):
            db.session.rollback()
            return None

    def get_list(self, page: Any, *args: Any, **kwargs: Any) -> Any:
        """Pages past any real one are simply empty, not an offset beyond the database's."""
        if page is not None:
            page = min(max(page, 0), MAX_PAGE)
        return super().get_list(page, *args, **kwargs)


def row_keys(ids: Any, limit: int = MAX_KEY) -> list[int]:
    """Posted row ids as integer keys; anything else, or past what the key column holds
    (``limit``: a bigint's by default), names no row and is left out."""
    return [int(i) for i in map(str, ids) if i.isascii() and i.isdigit() and int(i) <= limit]


class PasswordOnCreate:
    """Mixin for a view whose form has a ``password`` field (``password_field()``): on the
    create form it is required; on the edit form, leaving it empty keeps the password."""

    def create_form(self, obj: Any = None) -> Any:
        form = super().create_form(obj)  # type: ignore[misc]
        form.password.validators = [InputRequired(), Length(min=MIN_PASSWORD_LENGTH)]
        form.password.flags.required = True
        form.password.description = f"At least {MIN_PASSWORD_LENGTH} characters."
        return form

    def edit_form(self, obj: Any = None) -> Any:
        form = super().edit_form(obj)  # type: ignore[misc]
        form.password.description = "Leave empty to keep the current password."
        return form


def password_field() -> PasswordField:
    """The ``password`` extra field of a ``PasswordOnCreate`` view."""
    return PasswordField(
        "Password",
        validators=[Optional(), Length(min=MIN_PASSWORD_LENGTH)],
        render_kw={"autocomplete": "new-password"},
    )


def _show_on_form(form: Any, error: ValidationFailed) -> None:
    """Each message under its field; what no field of the form names, as a flash."""
    for name, message in error.errors.items():
        field = getattr(form, name, None) if form is not None else None
        if field is not None and hasattr(field, "errors"):
            field.errors = [*field.errors, message]
        else:
            flash(message, "error")
