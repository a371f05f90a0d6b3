"""The Invitations page of both admins: a tenant's admins invite users of their site, operators
invite operators. Pending invitations are listed with Resend and Revoke."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext
from flask_login import current_user

from tenantry import mail
from tenantry.admin.base import AdminPage
from tenantry.auth import invitations
from tenantry.auth.forms import InviteForm
from tenantry.db import db
from tenantry.errors import Refused, ValidationFailed
from tenantry.tenancy.context import get_tenant


class InvitationsPage(AdminPage):
    """On a tenant's host its users' invitations; on the root host the operators'."""

    def _tenant(self) -> Any:
        return get_tenant()

    @expose("/", methods=("GET", "POST"))
    def index(self):
        tenant = self._tenant()
        form = InviteForm()
        if tenant is None:
            del form.role  # operators have no roles
        if form.validate_on_submit():
            role = form.role.data if tenant is not None else "member"
            try:
                invitation = invitations.invite(
                    db.session, tenant, form.email.data, role, invited_by=current_user.email
                )
            except ValidationFailed as error:
                db.session.rollback()
                for name, message in error.errors.items():
                    getattr(form, name, form.email).errors.append(message)
            else:
                _commit_and_report(gettext("Invitation sent to %(email)s.", email=invitation.email))
                return redirect(url_for(".index"))
        return self.render(
            "tenantry_admin/invitations.html",
            form=form,
            operators=tenant is None,
            invitations=invitations.pending(db.session, tenant),
            is_expired=invitations.is_expired,
        )

    @expose("/<int:invitation_id>/<verb>", methods=("POST",))
    def change(self, invitation_id: int, verb: str):
        tenant = self._tenant()
        try:
            invitation = invitations.get(db.session, tenant, invitation_id)
            if verb == "resend":
                invitations.resend(db.session, tenant, invitation)
                done = gettext(
                    "Invitation sent again to %(email)s; the old link no longer works.",
                    email=invitation.email,
                )
            elif verb == "revoke":
                invitations.revoke(db.session, tenant, invitation)
                done = gettext(
                    "Invitation of %(email)s revoked; its link no longer works.",
                    email=invitation.email,
                )
            else:
                return redirect(url_for(".index"))
        except Refused as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            _commit_and_report(done)
        return redirect(request.referrer or url_for(".index"))


def _commit_and_report(done: str) -> None:
    """Commit (which sends the mail), then say what happened, and what did not."""
    db.session.commit()
    problems = mail.undelivered(db.session)
    if not problems:
        flash(done, "success")
    for problem in problems:
        flash(
            gettext("Saved, but: %(problem)s Use Resend once it is fixed.", problem=problem),
            "error",
        )
