"""Accounts: the one place for the rules on users and operators.

The CLI, both admins, the account pages and the demo call these; the caller
commits. Field-level problems raise ``ValidationFailed`` (shown under the field),
rules about who may do what raise ``AccountError``. Every change is written to
the audit log in the same transaction.

Passwords and sessions: a new password (set by its owner, an admin, the CLI or a
reset link) ends the account's other sessions. API tokens are not sessions: they
keep working after a password change, are listed with their last use on the
tokens page and end when revoked there, or when the account is disabled or deleted.
"""

from __future__ import annotations

import functools
from typing import Any

from flask_babel import gettext
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from tenantry import auditlog
from tenantry.auth import sessions
from tenantry.auth.models import Operator, Role, User
from tenantry.errors import Refused, ValidationFailed
from tenantry.tenancy.context import get_tenant, tenant_context
from tenantry.tenancy.locales import validate as valid_locale

Account = User | Operator


class AccountError(Refused):
    """A refused account change; the message says why."""


def normalise_email(raw: str) -> str:
    email = (raw or "").strip().lower()
    local, _, domain = email.partition("@")
    if not local or "." not in domain or len(email) > 254 or " " in email:
        raise ValidationFailed({"email": f"{raw!r} is not an email address"})
    return email


def role_named(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        allowed = ", ".join(Role)
        raise ValidationFailed({"role": f"must be one of {allowed}, not {role!r}"}) from None


def _set_password(
    session: Session, account: Account, password: str, *, keep: str | None = None
) -> None:
    """Set the password and end every session of the account but ``keep``."""
    try:
        account.set_password(password)
    except ValueError as error:
        raise ValidationFailed({"password": str(error)}) from None
    session.flush()
    sessions.end_all(session, account, keep=keep)


def _kind(account: Account) -> str:
    return "operator" if isinstance(account, Operator) else "user"


@functools.cache
def _dummy_hash() -> str:
    """A hash made like real ones, checked when no account matches, so that a sign-in
    takes as long whether or not the email has an account."""
    return generate_password_hash("no account has this password")


def find_account(session: Session, email: str) -> Account | None:
    """The account with ``email`` on this host: a user of the current tenant, or an
    operator on the root host."""
    email = (email or "").strip().lower()
    if get_tenant() is None:
        return session.scalar(select(Operator).where(func.lower(Operator.email) == email))
    return session.scalar(select(User).where(func.lower(User.email) == email))


def authenticate(session: Session, email: str, password: str) -> Account | None:
    """The active account of this host with this email and password, or None.

    Always checks one password hash, so the time taken does not tell which emails
    have accounts (or which are disabled). Records a failure in the audit log.
    """
    account = find_account(session, email)
    matches = check_password_hash(account.password_hash if account else _dummy_hash(), password)
    if account is not None and matches and account.active:
        return account
    reason = "no such account" if account is None else "disabled" if matches else "wrong password"
    kind = "operator" if get_tenant() is None else "user"
    auditlog.record(
        f"{kind}.sign_in_failed",
        account,
        label=(email or "").strip().lower()[:254],
        detail={"reason": reason},
    )
    return None


def change_password(
    session: Session, account: Account, current: str, new: str, *, keep: str | None
) -> None:
    """The owner changes their password: their other sessions end, ``keep`` stays."""
    if not account.check_password(current):
        raise ValidationFailed({"current_password": gettext("That is not your current password.")})
    _set_password(session, account, new, keep=keep)
    auditlog.record(f"{_kind(account)}.password_changed", account, tenant=_tenant_of(account))


def reset_password(session: Session, account: Account, new: str) -> None:
    """A reset link was used: the new password, and every session of the account ends."""
    _set_password(session, account, new)
    auditlog.record(f"{_kind(account)}.password_reset", account, tenant=_tenant_of(account))


def lock_password(session: Session, account: Account) -> None:
    """An operator resets the password: the old one stops working and every session ends;
    only a reset link sets a new one."""
    account.set_unusable_password()
    session.flush()
    sessions.end_all(session, account)


def set_locale(session: Session, user: User, code: str | None) -> None:
    """The language ``user`` reads this tenant's site in (``tenancy.locales``); None or ""
    leaves it to the tenant's default. Tenant scope: the user's own row, in its tenant."""
    user.locale = valid_locale(code)
    session.flush()


def sign_out_everywhere(session: Session, account: Account) -> int:
    ended = sessions.end_all(session, account)
    auditlog.record(
        f"{_kind(account)}.signed_out_everywhere",
        account,
        tenant=_tenant_of(account),
        detail={"sessions": ended},
    )
    return ended


def _tenant_of(account: Account) -> Any:
    """The tenant whose log an account's events go to (None: the platform's)."""
    if isinstance(account, Operator):
        return None
    return account.tenant_id


def _email_taken(
    session: Session, model: type[User] | type[Operator], email: str, own: Any
) -> bool:
    with session.no_autoflush:
        found = session.scalar(
            select(model.id).where(func.lower(model.email) == email, model.id != (own or 0))
        )
    return found is not None


def new_user(
    session: Session,
    tenant: Any,
    email: str,
    password: str,
    role: str = Role.MEMBER,
    name: str = "",
    active: bool = True,
) -> User:
    """A new account in ``tenant`` (a Tenant or TenantRef), not yet recorded in the audit log
    (the caller records the action it is part of)."""
    email = normalise_email(email)
    with tenant_context(tenant):
        if _email_taken(session, User, email, None):
            raise ValidationFailed({"email": f"{email} already has an account in {tenant.slug!r}"})
        user = User(
            email=email, role=role_named(role), name=name or email.split("@")[0], active=active
        )
        _first_password(user, password)
        session.add(user)
        session.flush()
    return user


def create_user(
    session: Session,
    tenant: Any,
    email: str,
    password: str,
    role: str = Role.MEMBER,
    name: str = "",
    active: bool = True,
) -> User:
    """A new account in ``tenant`` (a Tenant or TenantRef)."""
    user = new_user(session, tenant, email, password, role, name, active)
    auditlog.record("user.created", user, tenant=user.tenant_id, detail={"role": str(user.role)})
    return user


def provision_user(
    session: Session, tenant: Any, email: str, role: str, name: str, *, via: str
) -> User:
    """A new account in ``tenant`` for someone an identity provider (``via``) vouches
    for: no usable password (they sign in through the provider, or a reset link sets one)."""
    email = normalise_email(email)
    with tenant_context(tenant):
        if _email_taken(session, User, email, None):
            raise ValidationFailed({"email": f"{email} already has an account in {tenant.slug!r}"})
        name = name.strip()[:200] or email.split("@")[0]
        user = User(email=email, role=role_named(role), name=name)
        user.set_unusable_password()
        session.add(user)
        session.flush()
    auditlog.record(
        "user.provisioned",
        user,
        tenant=user.tenant_id,
        detail={"role": str(user.role), "provider": via},
    )
    return user


def _first_password(account: Account, password: str) -> None:
    try:
        account.set_password(password)
    except ValueError as error:
        raise ValidationFailed({"password": str(error)}) from None


def update_user(
    session: Session,
    user: User,
    *,
    acting: User | None = None,
    email: str | None = None,
    name: str | None = None,
    role: str | None = None,
    active: bool | None = None,
    password: str | None = None,
) -> User:
    """Change what is given; ``acting`` (the admin doing it) may not demote or disable
    themselves, so a tenant always keeps the admin who is looking at it."""
    before = _snapshot(user, USER_FIELDS)
    if email is not None:
        email = normalise_email(email)
        if _email_taken(session, User, email, user.id):
            raise ValidationFailed({"email": f"{email} already has an account here"})
        user.email = email
    new_role = role_named(role) if role is not None else Role(user.role)
    if acting is not None and acting.id == user.id and (new_role != Role.ADMIN or active is False):
        raise AccountError(gettext("You cannot remove your own admin rights or disable yourself."))
    user.role = new_role
    if name is not None:
        user.name = name.strip() or user.email.split("@")[0]
    if active is not None:
        user.active = active
    if password:
        _set_password(session, user, password)
    session.flush()
    _record_update("user", user, before, USER_FIELDS, password_set=bool(password))
    return user


def delete_user(session: Session, user: User, *, acting: User | None = None) -> None:
    if acting is not None and acting.id == user.id:
        raise AccountError(gettext("You cannot delete your own account."))
    auditlog.record("user.deleted", user, tenant=user.tenant_id)
    session.delete(user)
    session.flush()


def set_user_password(session: Session, tenant: Any, email: str, password: str) -> User:
    with tenant_context(tenant):
        user = session.scalar(select(User).where(func.lower(User.email) == normalise_email(email)))
        if user is None:
            raise AccountError(f"no account {email} in {tenant.slug!r}")
        _set_password(session, user, password)
        auditlog.record("user.password_set", user, tenant=user.tenant_id)
    return user


def new_operator(session: Session, email: str, password: str, active: bool = True) -> Operator:
    """A new operator, not yet recorded in the audit log (see ``new_user``)."""
    email = normalise_email(email)
    if _email_taken(session, Operator, email, None):
        raise ValidationFailed({"email": f"operator {email} already exists"})
    operator = Operator(email=email, active=active)
    _first_password(operator, password)
    session.add(operator)
    session.flush()
    return operator


def create_operator(session: Session, email: str, password: str, active: bool = True) -> Operator:
    operator = new_operator(session, email, password, active)
    auditlog.record("operator.created", operator, tenant=None)
    return operator


USER_FIELDS = ("email", "name", "role", "active")
OPERATOR_FIELDS = ("email", "active")


def _snapshot(account: Account, fields: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(account, name) for name in fields}


def _record_update(
    kind: str, account: Account, before: dict[str, Any], fields: tuple[str, ...], password_set: bool
) -> None:
    """One entry per update that changed something: each changed field as [before, after]."""
    changes = {
        name: [str(before[name]), str(getattr(account, name))]
        for name in fields
        if before[name] != getattr(account, name)
    }
    if password_set:
        changes["password"] = ["(hidden)", "(set)"]
    if changes:
        auditlog.record(
            f"{kind}.updated", account, tenant=_tenant_of(account), detail={"changes": changes}
        )


def update_operator(
    session: Session,
    operator: Operator,
    *,
    acting: Operator | None = None,
    email: str | None = None,
    active: bool | None = None,
    password: str | None = None,
) -> Operator:
    before = _snapshot(operator, OPERATOR_FIELDS)
    if email is not None:
        email = normalise_email(email)
        if _email_taken(session, Operator, email, operator.id):
            raise ValidationFailed({"email": f"operator {email} already exists"})
        operator.email = email
    if active is False and acting is not None and acting.id == operator.id:
        raise AccountError(gettext("You cannot disable your own account."))
    if active is not None:
        operator.active = active
    if password:
        _set_password(session, operator, password)
    session.flush()
    _record_update("operator", operator, before, OPERATOR_FIELDS, password_set=bool(password))
    return operator


def delete_operator(session: Session, operator: Operator, *, acting: Operator | None) -> None:
    if acting is not None and acting.id == operator.id:
        raise AccountError(gettext("You cannot delete your own account."))
    auditlog.record("operator.deleted", operator, tenant=None)
    session.delete(operator)
    session.flush()
