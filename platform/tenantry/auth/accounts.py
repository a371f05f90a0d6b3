"""Creating accounts and changing passwords; shared by the CLI, the admin and the demo."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tenantry.auth.models import ROLES, Operator, User
from tenantry.tenancy.context import tenant_context
from tenantry.tenancy.models import Tenant


class AccountError(Exception):
    """A refused account change; the message says why."""


def _email(raw: str) -> str:
    email = raw.strip().lower()
    local, _, domain = email.partition("@")
    if not local or "." not in domain or len(email) > 254 or " " in email:
        raise AccountError(f"{raw!r} is not an email address")
    return email


def create_user(
    session: Session,
    tenant: Tenant,
    email: str,
    password: str,
    role: str = "member",
    name: str = "",
) -> User:
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    email = _email(email)
    with tenant_context(tenant):
        if session.scalar(select(User.id).where(func.lower(User.email) == email)) is not None:
            raise AccountError(f"{email} already has an account in {tenant.slug!r}")
        user = User(email=email, role=role, name=name or email.split("@")[0])
        _set_password(user, password)
        session.add(user)
        session.flush()
    return user


def create_operator(session: Session, email: str, password: str) -> Operator:
    email = _email(email)
    if session.scalar(select(Operator.id).where(Operator.email == email)) is not None:
        raise AccountError(f"operator {email} already exists")
    operator = Operator(email=email)
    _set_password(operator, password)
    session.add(operator)
    session.flush()
    return operator


def _set_password(account: User | Operator, password: str) -> None:
    try:
        account.set_password(password)
    except ValueError as error:
        raise AccountError(str(error)) from None


def set_user_password(session: Session, tenant: Tenant, email: str, password: str) -> User:
    with tenant_context(tenant):
        user = session.scalar(select(User).where(func.lower(User.email) == _email(email)))
        if user is None:
            raise AccountError(f"no account {email} in {tenant.slug!r}")
        _set_password(user, password)
        session.flush()
    return user
