"""Who is logged in, bound to the host the session was issued on.

A session names its account's sign-in as ``u:<tenant id>:<key>`` or
``o:<key>`` (see ``auth.sessions``); the loader accepts it only on that tenant's
host (or, for operators, the root host), so a cookie replayed on another host
authenticates nobody even if a browser were to send it there, and only while
that sign-in's row exists.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask, abort, redirect, request, url_for
from flask_babel import lazy_gettext
from flask_login import AnonymousUserMixin, LoginManager, UserMixin
from sqlalchemy import select, update

from tenantry.auditlog import Actor
from tenantry.auth import sessions
from tenantry.auth.models import ApiToken, Operator, User
from tenantry.db import db
from tenantry.error_pages import wants_json
from tenantry.jobs.execution import ACT_AS
from tenantry.tenancy.context import get_tenant

LAST_USED_PRECISION = timedelta(minutes=5)

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = lazy_gettext("Please log in to see this page.")
login_manager.localize_callback = str  # flashed as text, in the request's language
login_manager.session_protection = "basic"


class Account(UserMixin):
    """The logged-in person, whichever table they live in."""

    def __init__(self, record: User | Operator, session_key: str = "", via_token: bool = False):
        self.record = record
        self.session_key = session_key
        self.via_token = via_token

    def get_id(self) -> str:
        return sessions.identity(self.record, self.session_key)

    @property
    def reference(self) -> str:
        """Who this is, independent of any session: ``u:<tenant id>:<email>`` or
        ``o:<email>``. A job keeps it to act as the person who started it, even after
        that sign-in has ended."""
        if isinstance(self.record, Operator):
            return f"o:{self.record.email}"
        return f"u:{self.record.tenant_id}:{self.record.email}"

    @property
    def actor(self) -> Actor:
        """How the audit log names this person."""
        kind = "operator" if isinstance(self.record, Operator) else "user"
        return Actor(kind, self.record.email, self.record.id)

    @property
    def is_active(self) -> bool:
        return self.record.active

    @property
    def is_operator(self) -> bool:
        return isinstance(self.record, Operator)

    @property
    def is_tenant_admin(self) -> bool:
        return isinstance(self.record, User) and self.record.is_admin

    @property
    def email(self) -> str:
        return self.record.email

    @property
    def user(self) -> User | None:
        return self.record if isinstance(self.record, User) else None


class Anonymous(AnonymousUserMixin):
    is_operator = False
    is_tenant_admin = False
    user = None


login_manager.anonymous_user = Anonymous


@login_manager.user_loader
def _load(identity: str) -> Account | None:
    if request.headers.get("Authorization"):
        return None  # a request that brings a token is judged by the token alone
    return account(identity)


def account(identity: str) -> Account | None:
    """The active account ``identity`` (``Account.get_id()``) names, if it belongs here:
    a user of the current tenant, or an operator where there is no tenant."""
    tenant = get_tenant()
    record = sessions.load(db.session, identity, tenant.id if tenant is not None else None)
    return Account(record, sessions.key_of(identity)) if record is not None else None


@login_manager.request_loader
def _load_from_token(req) -> Account | None:
    header = req.headers.get("Authorization", "")
    if not header.startswith("Bearer ") or get_tenant() is None:
        return None
    secret = header.removeprefix("Bearer ").strip()
    found = db.session.execute(
        select(User, ApiToken.id, ApiToken.last_used_at)  # token and user in one round trip
        .join(User.tokens)  # on the whole key: one tenant, one shard
        .where(ApiToken.token_hash == ApiToken.digest(secret))  # unique per tenant
    ).first()
    if found is None or not found[0].active:
        return None
    user, token_id, last = found
    now = datetime.now(UTC)
    if last is None or now - last > LAST_USED_PRECISION:
        # A write per API call would cost more than the call; minutes are precise enough.
        db.session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))
        db.session.commit()
    return Account(user, via_token=True)


def act_as(reference: str | None) -> None:
    """Make the account ``reference`` names (``Account.reference``) the current user of
    this request context, anonymous if it is not an active account here any more: a job
    acts as the person who started it."""
    found = _referenced(reference) if reference else None
    # Flask-Login's own way of setting the request's user, without a login (no session write).
    login_manager._update_request_context_with_user(found)


def _referenced(reference: str) -> Account | None:
    kind, _, rest = reference.partition(":")
    tenant = get_tenant()
    if kind == "o" and tenant is None:
        record: User | Operator | None = db.session.scalar(
            select(Operator).where(Operator.email == rest)
        )
    elif kind == "u" and tenant is not None:
        owner, _, email = rest.partition(":")
        found = select(User).where(User.email == email)
        record = db.session.scalar(found) if owner == str(tenant.id) else None
    else:
        record = None
    return Account(record) if record is not None and record.active else None


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    app.extensions[ACT_AS] = act_as  # jobs (a lower layer) find it here

    @login_manager.unauthorized_handler
    def _unauthorized():
        if wants_json() or request.headers.get("Authorization"):
            abort(401, description="Log in or send a valid API token (Authorization: Bearer ...).")
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
