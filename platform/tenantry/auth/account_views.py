"""The account area of whoever is signed in, on any host: change the password, sign out
everywhere (users also find their API tokens here)."""

from __future__ import annotations

from flask import flash, redirect, render_template, session, url_for
from flask_login import current_user, login_required, logout_user

from tenantry.auth import accounts
from tenantry.auth.forms import ChangePasswordForm
from tenantry.auth.views import bp
from tenantry.db import db
from tenantry.errors import ValidationFailed


@bp.route("/account/", methods=["GET", "POST"])
@login_required
def account():
    if current_user.via_token:
        return redirect(url_for("core.index"))
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(
                db.session,
                current_user.record,
                form.current_password.data,
                form.password.data,
                keep=current_user.session_key,
            )
        except ValidationFailed as error:
            db.session.rollback()
            for name, message in error.errors.items():
                getattr(form, name, form.password).errors.append(message)
        else:
            db.session.commit()
            flash("Your password is changed. Your other sessions are signed out.", "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/account.html", form=form)


@bp.post("/account/sign-out-everywhere")
@login_required
def sign_out_everywhere():
    ended = accounts.sign_out_everywhere(db.session, current_user.record)
    db.session.commit()
    logout_user()
    session.clear()
    flash(f"Signed out everywhere ({ended} session(s), this one included).", "info")
    return redirect(url_for("auth.login"))
