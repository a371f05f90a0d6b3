"""Accounts and what they sign in with.

Tenant scope of each table: users, their API tokens, sign-in sessions and
invitations are TenantScoped; operators, their sessions and invitations are Global.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from enum import StrEnum

from flask_babel import gettext
from sqlalchemy import BigInteger, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from tenantry.db import Base, UtcDateTime
from tenantry.tenancy.mixins import Global, TenantScoped, tenant_foreign_key, tenant_join
from tenantry.tenancy.models import one_of, utcnow

MIN_PASSWORD_LENGTH = 10


class Role(StrEnum):
    MEMBER = "member"
    ADMIN = "admin"  # runs the tenant's own admin (/manage)


def digest(secret: str) -> str:
    """What is stored of a secret (token, session key, invitation nonce): its SHA-256."""
    return hashlib.sha256(secret.encode()).hexdigest()


class PasswordMixin:
    password_hash: Mapped[str] = mapped_column(String(255))

    def set_password(self, password: str) -> None:
        if len(password) < MIN_PASSWORD_LENGTH:
            raise ValueError(
                gettext("A password needs at least %(num)d characters.", num=MIN_PASSWORD_LENGTH)
            )
        self.password_hash = generate_password_hash(password)

    def set_unusable_password(self) -> None:
        """No password matches any more (until a reset link sets one)."""
        self.password_hash = "!" + secrets.token_hex(16)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)


class User(PasswordMixin, TenantScoped, Base):
    """A person in one tenant. The same email in two tenants is two accounts."""

    __tablename__ = "tenantry_user"
    __table_args__ = (UniqueConstraint("tenant_id", "email"), one_of("role", Role))

    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(16), default=Role.MEMBER)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    #: The language this person reads the site in (``tenancy.locales``); None: the
    #: tenant's default decides.
    locale: Mapped[str | None] = mapped_column(String(16))

    tokens: Mapped[list[ApiToken]] = relationship(
        back_populates="user",
        cascade="all, delete-orphan",
        primaryjoin=lambda: tenant_join(ApiToken.user_id, User),
    )

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    def __str__(self) -> str:
        return self.email


class Operator(PasswordMixin, Global, Base):
    """A platform administrator; logs in on the root host only."""

    __tablename__ = "tenantry_operator"
    # Operators log in on the root host, served by the platform role only.
    __tenant_role_grants__ = ()

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    def __str__(self) -> str:
        return self.email


class ApiToken(TenantScoped, Base):
    """A named bearer token of one user; only its SHA-256 is stored.

    The hash is unique per tenant, not platform-wide (a distributed table can
    only enforce uniqueness within one tenant): a token is looked up on the host
    of the tenant it was issued in, and means nothing on any other.
    """

    __tablename__ = "tenantry_api_token"
    __table_args__ = (
        tenant_foreign_key("user_id", "tenantry_user", ondelete="CASCADE"),
        UniqueConstraint("tenant_id", "token_hash"),
    )
    PREFIX = "tnt_"

    user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64))
    hint: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    user: Mapped[User] = relationship(
        back_populates="tokens", primaryjoin=lambda: tenant_join(ApiToken.user_id, User)
    )

    digest = staticmethod(digest)

    @classmethod
    def issue(cls, user: User, name: str) -> tuple[ApiToken, str]:
        """A new token and its secret, which is shown once and never stored."""
        secret = cls.PREFIX + secrets.token_urlsafe(32)
        token = cls(
            user=user,
            tenant_id=user.tenant_id,
            name=name,
            token_hash=cls.digest(secret),
            hint=secret[:10],
        )
        return token, secret


class SessionColumns:
    """One sign-in: the cookie carries its random key, the row its digest.

    Sessions are bound to this random key, never to the account's id alone (SQLite
    reuses the ids of deleted rows), and end server-side by deleting the row.
    """

    address: Mapped[str | None] = mapped_column(String(45))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class UserSession(SessionColumns, TenantScoped, Base):
    __tablename__ = "tenantry_user_session"
    __table_args__ = (
        tenant_foreign_key("user_id", "tenantry_user", ondelete="CASCADE"),
        UniqueConstraint("tenant_id", "key_hash"),  # looked up on the tenant's own host
    )

    key_hash: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(BigInteger, index=True)


class OperatorSession(SessionColumns, Global, Base):
    __tablename__ = "tenantry_operator_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    operator_id: Mapped[int] = mapped_column(
        ForeignKey("tenantry_operator.id", ondelete="CASCADE"), index=True
    )


class InvitationColumns:
    """A pending invitation: the link carries a signed random nonce, the row its digest."""

    email: Mapped[str] = mapped_column(String(254))
    invited_by: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)

    def __str__(self) -> str:
        return self.email


class Invitation(InvitationColumns, TenantScoped, Base):
    """An invitation to become a user of one tenant, with the role they will have."""

    __tablename__ = "tenantry_invitation"
    __table_args__ = (
        UniqueConstraint("tenant_id", "email"),
        UniqueConstraint("tenant_id", "nonce_hash"),  # accepted on the tenant's own host
        one_of("role", Role),
    )

    nonce_hash: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16), default=Role.MEMBER)


class OperatorInvitation(InvitationColumns, Global, Base):
    """An invitation to become an operator of the platform."""

    __tablename__ = "tenantry_operator_invitation"
    __table_args__ = (UniqueConstraint("email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    nonce_hash: Mapped[str] = mapped_column(String(64), unique=True)


class OidcProvider(TenantScoped, Base):
    """An OpenID Connect issuer whose people may sign in to one tenant, set up by its admins.

    TenantScoped: only that tenant's host offers it, only its admins see and change it
    (/manage), and the client secret is write-only there (never rendered back) and
    sealed in the database under a key bound to the tenant. Who
    may come in: an email the issuer says is verified, in ``allowed_domains`` (any
    when empty); an unknown one gets an account with ``default_role`` only when
    ``auto_provision`` is on.
    """

    __tablename__ = "tenantry_oidc_provider"
    __table_args__ = (UniqueConstraint("tenant_id", "name"), one_of("default_role", Role))

    name: Mapped[str] = mapped_column(String(100))
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(255))
    #: Sealed (``auth.sealing``, bound to the tenant): never stored or shown in the clear.
    client_secret_sealed: Mapped[str] = mapped_column(String(1000))
    #: Email domains allowed in, space-separated and lowercase; empty: any.
    allowed_domains: Mapped[str] = mapped_column(String(1000), default="")
    auto_provision: Mapped[bool] = mapped_column(default=False)
    default_role: Mapped[str] = mapped_column(String(16), default=Role.MEMBER)
    enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    @property
    def key(self) -> str:
        """How the sign-in URLs name it: ``/login/via/oidc-<id>``."""
        return f"oidc-{self.id}"

    def __str__(self) -> str:
        return self.name
