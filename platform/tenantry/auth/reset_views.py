"""Forgot password, on every login page: ask for a link, then choose a new password.

The answer to a request is the same page whether or not the email has an
account here, and requests are throttled per account and per address (each
one may send mail).
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext

from tenantry import mail
from tenantry.auth import accounts, resets
from tenantry.auth.forms import ForgotPasswordForm, NewPasswordForm
from tenantry.auth.signing import LinkError
from tenantry.auth.throttle import reset_throttle
from tenantry.auth.views import bp, sign_in
from tenantry.db import db
from tenantry.errors import ValidationFailed
from tenantry.tenancy.context import get_tenant


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        tenant = get_tenant()
        email = form.email.data.strip().lower()
        tenant_key = str(tenant.id) if tenant else "platform"
        if not reset_throttle().allow(tenant_key, email, request.remote_addr or "?"):
            abort(429, description=gettext("Too many reset requests. Wait a while and try again."))
        account = accounts.find_account(db.session, email)
        if account is not None and account.active:
            resets.send_link(db.session, account, tenant, by_operator=False)
            db.session.commit()  # sends the mail
            mail.undelivered(
                db.session
            )  # logged; never told here, where it would reveal the account
        minutes = round(resets.lifetime_minutes())
        return render_template("auth/forgot_sent.html", email=email, minutes=minutes)
    return render_template("auth/forgot.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    try:
        account = resets.account_for(db.session, token)
    except LinkError as error:
        return link_error(error, "auth.forgot_password", gettext("Ask for a new link"))
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            accounts.reset_password(db.session, account, form.password.data)
        except ValidationFailed as error:
            db.session.rollback()
            form.password.errors.extend(error.errors.values())
        else:
            sign_in(account)
            db.session.commit()
            flash(gettext("Your password is set, and you are signed in."), "success")
            return redirect(url_for("core.index"))
    return render_template("auth/reset.html", form=form, email=account.email)


def link_error(error: LinkError, endpoint: str, action: str):
    """A link that cannot be used: 410 when it expired, 404 otherwise, with a way on."""
    page = render_template(
        "auth/link_error.html", message=str(error), action=action, target=url_for(endpoint)
    )
    return page, 410 if error.expired else 404
