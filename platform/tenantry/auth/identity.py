"""Who is logged in, bound to the host the session was issued on.

A session names its account as ``u:<tenant id>:<user id>`` or
``o:<operator id>``; the loader accepts it only on that tenant's host (or, for
operators, the root host), so a cookie replayed on another host authenticates
nobody even if a browser were to send it there.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask, abort, redirect, request, url_for
from flask_login import AnonymousUserMixin, LoginManager, UserMixin
from sqlalchemy import select, update

from tenantry.auth.models import ApiToken, Operator, User
from tenantry.db import db
from tenantry.error_pages import wants_json
from tenantry.tenancy.context import get_tenant

LAST_USED_PRECISION = timedelta(minutes=5)

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Please log in to see this page."
login_manager.session_protection = "basic"


class Account(UserMixin):
    """The logged-in person, whichever table they live in."""

    def __init__(self, record: User | Operator, via_token: bool = False):
        self.record = record
        self.via_token = via_token

    def get_id(self) -> str:
        if isinstance(self.record, Operator):
            return f"o:{self.record.id}"
        return f"u:{self.record.tenant_id}:{self.record.id}"

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
    tenant = get_tenant()
    kind, _, rest = identity.partition(":")
    if kind == "o" and tenant is None and rest.isdigit():
        operator = db.session.get(Operator, int(rest))
        return Account(operator) if operator and operator.active else None
    if kind == "u" and tenant is not None:
        tenant_id, _, user_id = rest.partition(":")
        if tenant_id == str(tenant.id) and user_id.isdigit():
            user = db.session.get(User, int(user_id))
            return Account(user) if user and user.active else None
    return None


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
    if last is None or now - _aware(last) > LAST_USED_PRECISION:
        # A write per API call would cost more than the call; minutes are precise enough.
        db.session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))
        db.session.commit()
    return Account(user, via_token=True)


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were stored as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def init_app(app: Flask) -> None:
    login_manager.init_app(app)

    @login_manager.unauthorized_handler
    def _unauthorized():
        if wants_json() or request.headers.get("Authorization"):
            abort(401, description="Log in or send a valid API token (Authorization: Bearer ...).")
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
