"""Password resets: a signed link, bound to the tenant and the account's current password.

The link names the host's tenant and the account and is signed together with the
account's password hash, so it stops working the moment the password changes
(it works once) and after ``password_reset_lifetime_minutes``. Nothing is stored.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_babel import gettext
from sqlalchemy.orm import Session

from tenantry import auditlog, mail
from tenantry.auth.models import Operator, User
from tenantry.auth.signing import LinkError, peek, sign, verify
from tenantry.links import site_url
from tenantry.tenancy.context import get_tenant

PURPOSE = "password-reset"
Account = User | Operator


def lifetime_minutes() -> float:
    return current_app.extensions["tenantry.settings"].password_reset_lifetime_minutes


def link(account: Account, tenant: Any | None) -> str:
    """The reset link of ``account`` on its site (``tenant``: its Tenant/TenantRef, or None)."""
    payload = {"t": tenant.id if tenant is not None else 0, "a": account.id}
    token = sign(PURPOSE, payload, bound_to=account.password_hash)
    return site_url(tenant, "auth.reset_password", token=token)


def send_link(session: Session, account: Account, tenant: Any | None, *, by_operator: bool) -> None:
    """Queue the reset mail (sent when the caller commits) and record the request."""
    minutes = round(lifetime_minutes())
    message = mail.compose(
        "password_reset",
        to=account.email,
        tenant=tenant,
        locale=getattr(account, "locale", None),
        link=link(account, tenant),
        minutes=minutes,
        by_operator=by_operator,
    )
    mail.queue(session, message, tenant)
    kind = "operator" if isinstance(account, Operator) else "user"
    auditlog.record(
        f"{kind}.password_reset_requested",
        account,
        tenant=tenant.id if tenant is not None else None,
        detail={"by_operator": by_operator},
    )


def account_for(session: Session, token: str) -> Account:
    """The account a reset link on this host is for; raises LinkError when it cannot be used."""
    payload = peek(PURPOSE, token) or {}
    tenant = get_tenant()
    account_id = payload.get("a")
    if payload.get("t") != (tenant.id if tenant else 0) or not isinstance(account_id, int):
        raise LinkError(gettext("This link is not valid here."))
    model = User if tenant is not None else Operator
    account = session.get(model, account_id)
    if account is None or not account.active:
        raise LinkError(
            gettext("This link is not valid: the account no longer exists or is disabled.")
        )
    verify(PURPOSE, token, lifetime_minutes() * 60, bound_to=account.password_hash)
    return account
