"""Accepting an invitation: its link sets a password on the invited site and signs in."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext

from tenantry.auth import invitations
from tenantry.auth.forms import AcceptInvitationForm
from tenantry.auth.reset_views import link_error
from tenantry.auth.signing import LinkError
from tenantry.auth.views import bp, sign_in
from tenantry.db import db
from tenantry.errors import ValidationFailed


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    try:
        invitation = invitations.from_link(db.session, token)
    except LinkError as error:
        return link_error(error, "auth.login", gettext("Go to the sign-in page"))
    form = AcceptInvitationForm()
    if form.validate_on_submit():
        try:
            account = invitations.accept(
                db.session, invitation, form.password.data, (form.name.data or "").strip()
            )
        except ValidationFailed as error:
            db.session.rollback()
            for name, message in error.errors.items():
                field = getattr(form, name, None)
                if field is not None:
                    field.errors.append(message)
                else:
                    flash(message, "error")
        else:
            sign_in(account)
            db.session.commit()
            flash(gettext("Welcome! Your account is ready and you are signed in."), "success")
            return redirect(url_for("core.index"))
    return render_template("auth/accept_invitation.html", form=form, invitation=invitation)
