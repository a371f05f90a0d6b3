"""Accounts: the one place for the rules on users and operators.

The CLI, both admins and the demo call these; the caller commits. Field-level
problems raise ``ValidationFailed`` (shown under the field), rules about who may
do what raise ``AccountError``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tenantry.auth.models import Operator, Role, User
from tenantry.errors import Refused, ValidationFailed
from tenantry.tenancy.context import tenant_context


class AccountError(Refused):
    """A refused account change; the message says why."""


def normalise_email(raw: str) -> str:
    email = (raw or "").strip().lower()
    local, _, domain = email.partition("@")
    if not local or "." not in domain or len(email) > 254 or " " in email:
        raise ValidationFailed({"email": f"{raw!r} is not an email address"})
    return email


def _role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        allowed = ", ".join(Role)
        raise ValidationFailed({"role": f"must be one of {allowed}, not {role!r}"}) from None


def _set_password(account: User | Operator, password: str) -> None:
    try:
        account.set_password(password)
    except ValueError as error:
        raise ValidationFailed({"password": str(error)}) from None


def _email_taken(
    session: Session, model: type[User] | type[Operator], email: str, own: Any
) -> bool:
    with session.no_autoflush:
        found = session.scalar(
            select(model.id).where(func.lower(model.email) == email, model.id != (own or 0))
        )
    return found is not None


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
    email = normalise_email(email)
    with tenant_context(tenant):
        if _email_taken(session, User, email, None):
            raise ValidationFailed({"email": f"{email} already has an account in {tenant.slug!r}"})
        user = User(email=email, role=_role(role), name=name or email.split("@")[0], active=active)
        _set_password(user, password)
        session.add(user)
        session.flush()
    return user


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
    if email is not None:
        email = normalise_email(email)
        if _email_taken(session, User, email, user.id):
            raise ValidationFailed({"email": f"{email} already has an account here"})
        user.email = email
    new_role = _role(role) if role is not None else Role(user.role)
    if acting is not None and acting.id == user.id and (new_role != Role.ADMIN or active is False):
        raise AccountError("You cannot remove your own admin rights or disable yourself.")
    user.role = new_role
    if name is not None:
        user.name = name.strip() or user.email.split("@")[0]
    if active is not None:
        user.active = active
    if password:
        _set_password(user, password)
    session.flush()
    return user


def delete_user(session: Session, user: User, *, acting: User | None = None) -> None:
    if acting is not None and acting.id == user.id:
        raise AccountError("You cannot delete your own account.")
    session.delete(user)
    session.flush()


def set_user_password(session: Session, tenant: Any, email: str, password: str) -> User:
    with tenant_context(tenant):
        user = session.scalar(select(User).where(func.lower(User.email) == normalise_email(email)))
        if user is None:
            raise AccountError(f"no account {email} in {tenant.slug!r}")
        _set_password(user, password)
        session.flush()
    return user


def create_operator(session: Session, email: str, password: str, active: bool = True) -> Operator:
    email = normalise_email(email)
    if _email_taken(session, Operator, email, None):
        raise ValidationFailed({"email": f"operator {email} already exists"})
    operator = Operator(email=email, active=active)
    _set_password(operator, password)
    session.add(operator)
    session.flush()
    return operator


def update_operator(
    session: Session,
    operator: Operator,
    *,
    acting: Operator | None = None,
    email: str | None = None,
    active: bool | None = None,
    password: str | None = None,
) -> Operator:
    if email is not None:
        email = normalise_email(email)
        if _email_taken(session, Operator, email, operator.id):
            raise ValidationFailed({"email": f"operator {email} already exists"})
        operator.email = email
    if active is False and acting is not None and acting.id == operator.id:
        raise AccountError("You cannot disable your own account.")
    if active is not None:
        operator.active = active
    if password:
        _set_password(operator, password)
    session.flush()
    return operator


def delete_operator(session: Session, operator: Operator, *, acting: Operator | None) -> None:
    if acting is not None and acting.id == operator.id:
        raise AccountError("You cannot delete your own account.")
    session.delete(operator)
    session.flush()
