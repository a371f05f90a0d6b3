"""The account area of whoever is signed in, on any host: change the password, see the
account's sessions and end any of them, sign out everywhere (users also choose their
language and find their API tokens here).

Scope: every session listed or ended is a row of the signed-in account (users: in the
current tenant, through the session layer; operators: on the root host)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, session, url_for
from flask_babel import gettext, ngettext, refresh
from flask_login import current_user, login_required, logout_user

from tenantry import auditlog
from tenantry.auth import accounts, sessions
from tenantry.auth.forms import ChangePasswordForm, LanguageForm
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
            flash(
                gettext("Your password is changed. Your other sessions are signed out."), "success"
            )
            return redirect(url_for("auth.account"))
    key = current_user.session_key
    mine = [
        (row, sessions.is_key_of(row, key))
        for row in sessions.listing(db.session, current_user.record)
    ]
    language = LanguageForm(locale=current_user.user.locale or "") if current_user.user else None
    return render_template("auth/account.html", form=form, sessions=mine, language=language)


@bp.post("/account/sessions/<int:row_id>/end")
@login_required
def end_session(row_id: int):
    """End one of the account's sessions (another device's, or this one)."""
    record = current_user.record
    current = next((row for row in sessions.listing(db.session, record) if row.id == row_id), None)
    if current is None or not sessions.end_by_id(db.session, record, row_id):
        abort(404)
    this_one = sessions.is_key_of(current, current_user.session_key)
    auditlog.record(
        f"{'operator' if current_user.is_operator else 'user'}.session_ended",
        record,
        detail={"started": current.created_at.isoformat(), "address": current.address or ""},
    )
    db.session.commit()
    if this_one:
        logout_user()
        session.clear()
        flash(gettext("You ended this session: you are signed out."), "info")
        return redirect(url_for("auth.login"))
    flash(gettext("That session is ended: it is signed out."), "success")
    return redirect(url_for("auth.account"))


@bp.post("/account/language")
@login_required
def choose_language():
    """A user's own language, in their tenant (operators read the root host in their
    browser's language: the platform has no setting for them)."""
    user = current_user.user
    if user is None or current_user.via_token:
        abort(404)
    form = LanguageForm()
    if not form.validate_on_submit():
        flash(" ".join(str(error) for error in form.locale.errors), "error")
        return redirect(url_for("auth.account"))
    accounts.set_locale(db.session, user, form.locale.data)
    db.session.commit()
    refresh()  # the confirmation below speaks the new language
    flash(gettext("Your language is saved."), "success")
    return redirect(url_for("auth.account"))


@bp.post("/account/sign-out-everywhere")
@login_required
def sign_out_everywhere():
    ended = accounts.sign_out_everywhere(db.session, current_user.record)
    db.session.commit()
    logout_user()
    session.clear()
    flash(
        ngettext(
            "Signed out everywhere (%(num)d session, this one included).",
            "Signed out everywhere (%(num)d sessions, this one included).",
            ended,
        ),
        "info",
    )
    return redirect(url_for("auth.login"))
