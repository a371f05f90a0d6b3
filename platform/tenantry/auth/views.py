"""Log in, log out, and API tokens: on every host, against that host's accounts.

Signing in goes through an identity provider (``auth.providers``): the password form
at /login, or one of the tenant's OpenID Connect issuers at /login/via/<key> and its
callback; each ends in ``complete_sign_in``.

The account pages (password, sessions), password resets and invitations add
their routes to the same blueprint from their own modules.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from tenantry import auditlog
from tenantry.auth import oidc, sessions
from tenantry.auth.forms import LoginForm, TokenForm
from tenantry.auth.identity import Account
from tenantry.auth.models import ApiToken, Operator, User
from tenantry.auth.providers import (
    IdentityProvider,
    PasswordProvider,
    SignInRefused,
    VerifiedIdentity,
)
from tenantry.db import db
from tenantry.errors import Refused

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


def complete_sign_in(
    provider: IdentityProvider, identity: VerifiedIdentity, next_url: str | None
) -> ResponseReturnValue:
    """What every provider's sign-in ends with: the account ``identity`` opens here gets a
    fresh session, the audit log says how, and the person goes on to ``next_url``."""
    record = provider.account_for(db.session, identity)
    sign_in(record)
    kind = "operator" if isinstance(record, Operator) else "user"
    detail = None if provider.key == PasswordProvider.key else {"provider": provider.key}
    auditlog.record(f"{kind}.signed_in", record, actor=current_user.actor, detail=detail)
    db.session.commit()
    return redirect(_safe_next(next_url))


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        password = PasswordProvider(form)
        try:
            return complete_sign_in(password, password.callback(), request.args.get("next"))
        except SignInRefused as refused:
            db.session.commit()  # the failed attempt's audit entry
            flash(str(refused), "error")
    return render_template("auth/login.html", form=form, providers=oidc.offered())


@bp.get("/login/via/<key>")
def login_via(key: str):
    """Start signing in with one of this host's other providers (a redirect to it)."""
    try:
        return oidc.named(key).login_start(request.args.get("next") or "")
    except Refused as refused:
        flash(str(refused), "error")
        return redirect(url_for("auth.login"))


@bp.get("/login/via/<key>/callback")
def login_callback(key: str):
    """Where the provider sends the person back; refusals are shown on the login page."""
    provider = oidc.named(key)
    try:
        response = complete_sign_in(provider, provider.callback(), oidc.next_url())
    except Refused as refused:
        db.session.rollback()
        oidc.record_refusal(provider, str(refused))
        db.session.commit()
        flash(str(refused), "error")
        return redirect(url_for("auth.login"))
    oidc.remember(provider)
    return response


@bp.post("/logout")
def logout():
    if current_user.is_authenticated and not current_user.via_token:
        record = current_user.record
        sessions.end(db.session, record, current_user.session_key)
        kind = "operator" if isinstance(record, Operator) else "user"
        auditlog.record(f"{kind}.signed_out", record)
        db.session.commit()
    signed_in_via = oidc.signed_in_via()
    logout_user()
    session.clear()
    flash(gettext("You are logged out."), "info")
    issuer = oidc.end_session(signed_in_via)
    if issuer is None:
        return redirect(url_for("auth.login"))
    # A page, not a redirect: the CSP's form-action 'self' forbids a form's redirect to
    # another origin; this page's refresh (and its link) go on to the issuer.
    name, url = issuer
    return render_template("auth/signed_out.html", issuer=name, url=url)


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
    flash(gettext("Token “%(name)s” revoked.", name=token.name), "info")
    return redirect(url_for("auth.tokens"))
