"""Invitations: a tenant's admins invite users, operators invite operators, by email.

An invitation is a row (email, role, who invited, expiry) and a mailed link that
carries a signed random nonce, of which only the digest is stored. The link works
once (accepting deletes the row), until it expires, on its own site only.
Resending makes a new nonce, so the old link stops working; revoking deletes the row.
The caller commits; the mail is sent when it does (``mail.queue``).
"""

from __future__ import annotations

import secrets
from contextlib import nullcontext
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tenantry import auditlog, mail
from tenantry.auth import accounts
from tenantry.auth.models import (
    Invitation,
    Operator,
    OperatorInvitation,
    Role,
    User,
    digest,
)
from tenantry.auth.signing import LinkError, sign, verify
from tenantry.errors import Refused, ValidationFailed
from tenantry.links import site_url
from tenantry.tenancy.context import get_tenant, tenant_context
from tenantry.tenancy.models import utcnow

PURPOSE = "invitation"
AnyInvitation = Invitation | OperatorInvitation


class InvitationError(Refused):
    """A refused invitation change; the message says why."""


def _lifetime() -> timedelta:
    hours = current_app.extensions["tenantry.settings"].invitation_lifetime_hours
    return timedelta(hours=hours)


def is_expired(invitation: AnyInvitation) -> bool:
    return invitation.expires_at <= utcnow()


def _model(tenant: Any | None) -> type[Invitation] | type[OperatorInvitation]:
    return Invitation if tenant is not None else OperatorInvitation


def pending(session: Session, tenant: Any | None) -> list[AnyInvitation]:
    """The tenant's invitations (the operators' for None), newest first, expired ones too."""
    model = _model(tenant)
    with _scope(tenant):
        return list(session.scalars(select(model).order_by(model.created_at.desc())))


def get(session: Session, tenant: Any | None, invitation_id: int) -> AnyInvitation:
    with _scope(tenant):
        found = session.get(_model(tenant), invitation_id)
    if found is None:
        raise InvitationError(
            gettext("There is no such invitation; it may have been accepted or revoked.")
        )
    return found


def invite(
    session: Session, tenant: Any | None, email: str, role: str = Role.MEMBER, *, invited_by: str
) -> AnyInvitation:
    """Invite ``email`` to ``tenant`` (a Tenant or TenantRef) with ``role``, or to be an
    operator for None; the mail goes out when the caller commits."""
    email = accounts.normalise_email(email)
    model = _model(tenant)
    with _scope(tenant), session.no_autoflush:
        account_model = User if tenant is not None else Operator
        if session.scalar(select(account_model.id).where(func.lower(account_model.email) == email)):
            where = f"in {tenant.slug!r}" if tenant is not None else "as an operator"
            raise ValidationFailed({"email": f"{email} already has an account {where}"})
        if session.scalar(select(model.id).where(model.email == email)):
            raise ValidationFailed(
                {"email": f"{email} is invited already; resend that invitation from the list"}
            )
        invitation = model(email=email, invited_by=invited_by[:254], expires_at=utcnow())
        if isinstance(invitation, Invitation):
            invitation.role = accounts.role_named(role)
            invitation.tenant_id = tenant.id
        nonce = _renew(invitation)
        session.add(invitation)
        session.flush()
        _announce(session, invitation, tenant, nonce, "invitation.sent")
    return invitation


def resend(session: Session, tenant: Any | None, invitation: AnyInvitation) -> None:
    """A new link (the old one stops working) and a new expiry, mailed again."""
    with _scope(tenant):
        nonce = _renew(invitation)
        session.flush()
        _announce(session, invitation, tenant, nonce, "invitation.resent")


def revoke(session: Session, tenant: Any | None, invitation: AnyInvitation) -> None:
    with _scope(tenant):
        auditlog.record("invitation.revoked", invitation, tenant=tenant, detail=_about(invitation))
        session.delete(invitation)
        session.flush()


def from_link(session: Session, token: str) -> AnyInvitation:
    """The invitation a link on this host stands for; raises LinkError when it cannot be used."""
    tenant = get_tenant()
    payload = verify(PURPOSE, token, _lifetime().total_seconds())
    nonce = payload.get("n")
    if payload.get("t") != (tenant.id if tenant else 0) or not isinstance(nonce, str):
        raise LinkError(gettext("This invitation is not valid here."))
    model = _model(tenant)
    invitation = session.scalar(select(model).where(model.nonce_hash == digest(nonce)))
    if invitation is None:
        raise LinkError(
            gettext(
                "This invitation is no longer valid: it was accepted, revoked or sent again since."
            )
        )
    if is_expired(invitation):
        raise LinkError(gettext("This invitation has expired."), expired=True)
    return invitation


def accept(session: Session, invitation: AnyInvitation, password: str, name: str = "") -> Any:
    """Create the invited account with ``password``; the invitation is used up."""
    tenant = get_tenant()
    if isinstance(invitation, Invitation):
        account: Any = accounts.new_user(
            session, tenant, invitation.email, password, invitation.role, name
        )
    else:
        account = accounts.new_operator(session, invitation.email, password)
    auditlog.record(
        "invitation.accepted",
        invitation,
        tenant=tenant,
        actor=auditlog.Actor("operator" if tenant is None else "user", account.email, account.id),
        detail=_about(invitation),
    )
    session.delete(invitation)
    session.flush()
    return account


def _scope(tenant: Any | None) -> Any:
    """Operator invitations are platform rows; a tenant's are read inside that tenant."""
    return tenant_context(tenant) if tenant is not None else nullcontext()


def _renew(invitation: AnyInvitation) -> str:
    nonce = secrets.token_urlsafe(24)
    invitation.nonce_hash = digest(nonce)
    invitation.expires_at = utcnow() + _lifetime()
    return nonce


def _about(invitation: AnyInvitation) -> dict[str, Any]:
    role = getattr(invitation, "role", "operator")
    return {"email": invitation.email, "role": str(role)}


def _announce(
    session: Session, invitation: AnyInvitation, tenant: Any | None, nonce: str, action: str
) -> None:
    token = sign(PURPOSE, {"t": tenant.id if tenant is not None else 0, "n": nonce})
    expires: datetime = invitation.expires_at
    message = mail.compose(
        "invitation",
        to=invitation.email,
        tenant=tenant,
        link=site_url(tenant, "auth.accept_invitation", token=token),
        role=getattr(invitation, "role", "operator"),
        invited_by=invitation.invited_by,
        expires=expires.strftime("%Y-%m-%d %H:%M UTC"),
    )
    mail.queue(session, message, tenant)
    auditlog.record(action, invitation, tenant=tenant, detail=_about(invitation))
