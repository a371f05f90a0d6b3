"""Accounts: tenant users (TenantScoped), platform operators (Global), API tokens (TenantScoped)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, DateTime, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from tenantry.db import Base
from tenantry.tenancy.mixins import Global, TenantScoped, tenant_foreign_key, tenant_join
from tenantry.tenancy.models import one_of, utcnow

MIN_PASSWORD_LENGTH = 10


class Role(StrEnum):
    MEMBER = "member"
    ADMIN = "admin"  # runs the tenant's own admin (/manage)


class PasswordMixin:
    password_hash: Mapped[str] = mapped_column(String(255))

    def set_password(self, password: str) -> None:
        if len(password) < MIN_PASSWORD_LENGTH:
            raise ValueError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
        self.password_hash = generate_password_hash(password)

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
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

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

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

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
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship(
        back_populates="tokens", primaryjoin=lambda: tenant_join(ApiToken.user_id, User)
    )

    @staticmethod
    def digest(secret: str) -> str:
        return hashlib.sha256(secret.encode()).hexdigest()

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
