"""Sign-in sessions, held server-side so that they can end.

Each sign-in adds a row (``UserSession`` in the tenant, ``OperatorSession`` on the
platform) holding the digest of a random key; the signed cookie carries the key,
as the identity ``u:<tenant id>:<key>`` or ``o:<key>``. Loading the account and
checking its session is one query, the one that loads the account anyway.

- Signing out deletes that row: a copy of the cookie opens nothing afterwards.
- A password change deletes the account's other rows; "Sign out everywhere" all of them.
- Deleting an account deletes its rows (foreign key cascade), and a session is
  never bound to an id alone, which SQLite hands out again after a delete.
- A row older than ``session_lifetime_days`` no longer signs anyone in.
- The account page lists an account's live sessions (``listing``) and ends any one
  of them (``end_by_id``): only the account's own rows, on its own host.

API tokens are separate credentials and are not sessions: see ``accounts``.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from tenantry.auth.models import Operator, OperatorSession, User, UserSession, digest
from tenantry.tenancy.models import utcnow

Account = User | Operator


def _lifetime() -> timedelta:
    return timedelta(days=current_app.extensions["tenantry.settings"].session_lifetime_days)


def _row_model(account: Account) -> tuple[Any, Any]:
    """The session model of an account and the column naming its owner."""
    if isinstance(account, Operator):
        return OperatorSession, OperatorSession.operator_id
    return UserSession, UserSession.user_id


def start(session: Session, account: Account, address: str | None) -> str:
    """A new session for ``account``; returns the identity its cookie carries."""
    key = secrets.token_urlsafe(32)
    model, owner = _row_model(account)
    # Sign-ins that ran out are removed as the same account signs in again.
    session.execute(
        delete(model).where(owner == account.id, model.created_at < utcnow() - _lifetime())
    )
    row = model(key_hash=digest(key), address=(address or "")[:45] or None)
    setattr(row, owner.key, account.id)
    if isinstance(account, User):
        row.tenant_id = account.tenant_id
    session.add(row)
    session.flush()
    return identity(account, key)


def identity(account: Account, key: str) -> str:
    if isinstance(account, Operator):
        return f"o:{key}"
    return f"u:{account.tenant_id}:{key}"


def key_of(identity: str) -> str:
    """The session key inside an identity string (empty when it has none)."""
    kind, _, rest = identity.partition(":")
    return rest.partition(":")[2] if kind == "u" else rest


def load(session: Session, identity: str, tenant_id: int | None) -> Account | None:
    """The active account whose live session ``identity`` names, on this host; else None.

    Users only on their own tenant's host, operators only on the root host.
    """
    kind, _, rest = identity.partition(":")
    cutoff = utcnow() - _lifetime()
    if kind == "o" and tenant_id is None and rest:
        query = (
            select(Operator)
            .join(OperatorSession, OperatorSession.operator_id == Operator.id)
            .where(OperatorSession.key_hash == digest(rest), OperatorSession.created_at > cutoff)
        )
    elif kind == "u" and tenant_id is not None:
        owner, _, key = rest.partition(":")
        if owner != str(tenant_id) or not key:
            return None
        query = (
            select(User)
            .join(UserSession, UserSession.user_id == User.id)
            .where(UserSession.key_hash == digest(key), UserSession.created_at > cutoff)
        )
    else:
        return None
    account = session.scalar(query)
    return account if account is not None and account.active else None


def end(session: Session, account: Account, key: str) -> None:
    """End one session of ``account`` (signing out)."""
    model, owner = _row_model(account)
    session.execute(delete(model).where(owner == account.id, model.key_hash == digest(key)))


def end_all(session: Session, account: Account, *, keep: str | None = None) -> int:
    """End every session of ``account`` but the one whose key is ``keep``; how many ended."""
    model, owner = _row_model(account)
    query = delete(model).where(owner == account.id)
    if keep:
        query = query.where(model.key_hash != digest(keep))
    return session.execute(query).rowcount or 0


def listing(session: Session, account: Account) -> list[Any]:
    """The account's live sessions, newest first (rows of its own table, on its host)."""
    model, owner = _row_model(account)
    return list(
        session.scalars(
            select(model)
            .where(owner == account.id, model.created_at > utcnow() - _lifetime())
            .order_by(model.created_at.desc(), model.id.desc())
        )
    )


def is_key_of(row: Any, key: str) -> bool:
    """Whether ``row`` is the session whose cookie carries ``key`` (the current one)."""
    return bool(key) and row.key_hash == digest(key)


def end_by_id(session: Session, account: Account, row_id: int) -> bool:
    """End the account's session ``row_id``; False when the account has none by that id."""
    model, owner = _row_model(account)
    ended = session.execute(delete(model).where(owner == account.id, model.id == row_id))
    return bool(ended.rowcount)
