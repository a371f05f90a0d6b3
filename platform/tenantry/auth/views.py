"""Log in, log out, and API tokens: on every host, against that host's accounts.

The account pages (password, sessions), password resets and invitations add
their routes to the same blueprint from their own modules.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from tenantry import auditlog, metrics
from tenantry.auth import accounts, sessions
from tenantry.auth.forms import LoginForm, TokenForm
from tenantry.auth.identity import Account
from tenantry.auth.models import ApiToken, Operator, User
from tenantry.auth.throttle import throttle
from tenantry.db import db
from tenantry.tenancy.context import get_tenant

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only a path on this same host: never an open redirect."""
    if not target:
        return url_for("core.index")
    parts = urlsplit(target)
    if (
        parts.scheme
        or parts.netloc
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        # Browsers drop tabs and line breaks from URLs ("/\r\n//evil.com" is "///evil.com"),
        # and no header may carry them.
        or any(ord(c) < 0x20 or ord(c) == 0x7F for c in target)
    ):
        return url_for("core.index")
    return target


def sign_in(record: User | Operator) -> None:
    """Start a session for ``record`` in this browser: a fresh cookie, nothing from before
    survives (no fixation). The caller commits."""
    key = sessions.key_of(sessions.start(db.session, record, request.remote_addr))
    session.clear()
    login_user(Account(record, key))


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        tenant = get_tenant()
        tenant_key = str(tenant.id) if tenant else "platform"
        if not throttle().allow(tenant_key, form.email.data, request.remote_addr or "?"):
            metrics.THROTTLED.labels("login").inc()
            abort(429, description="Too many login attempts. Wait a minute and try again.")
        record = accounts.authenticate(db.session, form.email.data, form.password.data)
        if record is not None:
            sign_in(record)
            kind = "operator" if isinstance(record, Operator) else "user"
            auditlog.record(f"{kind}.signed_in", record, actor=current_user.actor)
            db.session.commit()
            return redirect(_safe_next(request.args.get("next")))
        metrics.LOGIN_FAILURES.inc()
        db.session.commit()  # the failed attempt's audit entry
        flash("Wrong email or password.", "error")
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():
    if current_user.is_authenticated and not current_user.via_token:
        record = current_user.record
        sessions.end(db.session, record, current_user.session_key)
        kind = "operator" if isinstance(record, Operator) else "user"
        auditlog.record(f"{kind}.signed_out", record)
        db.session.commit()
    logout_user()
    session.clear()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/tokens", methods=["GET", "POST"])
@login_required
def tokens():
    user = current_user.user
    if user is None:
        abort(404)
    form = TokenForm()
    secret = None
    if form.validate_on_submit():
        token, secret = ApiToken.issue(user, form.name.data.strip())
        db.session.add(token)
        db.session.flush()
        auditlog.record("token.created", token, label=f"{token.name} ({user.email})")
        db.session.commit()
        form = TokenForm(formdata=None)
    mine = db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at.desc())
    ).all()
    return render_template("auth/tokens.html", form=form, tokens=mine, secret=secret)


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    user = current_user.user
    if user is None:  # an operator, on the root host: there are no tenant tokens to look in
        abort(404)
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        abort(404)
    auditlog.record("token.revoked", token, label=f"{token.name} ({user.email})")
    db.session.delete(token)
    db.session.commit()
    flash(f"Token {token.name!r} revoked.", "info")
    return redirect(url_for("auth.tokens"))
