"""How people sign in: identity providers behind one small protocol.

A provider starts a sign-in (``login_start``: the password form, or a redirect to an
OpenID Connect issuer), and on its ``callback`` vouches for someone: a
``VerifiedIdentity``. Which account of this host that identity opens is the
provider's ``account_for``; the sign-in itself (a fresh session, the audit entry) is
the same for every provider (``auth.views.complete_sign_in``).

Scope: a provider belongs to the host it is offered on. The password provider checks
accounts of the current tenant (operators on the root host); an OpenID Connect
provider is one tenant's configuration (``auth.oidc``) and is only ever found on
that tenant's host.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from flask import abort, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from sqlalchemy.orm import Session

from tenantry.auth import accounts
from tenantry.auth.forms import LoginForm
from tenantry.auth.models import Operator, User
from tenantry.auth.throttle import throttle
from tenantry.db import db
from tenantry.errors import Refused
from tenantry.tenancy.context import get_tenant


class SignInRefused(Refused):
    """A sign-in the provider or this host's rules refuse; the message says why, to the
    person signing in (never a traceback, never a 500)."""


@dataclass(frozen=True)
class VerifiedIdentity:
    """Someone a provider vouches for: who they are there (``subject``) and their email."""

    provider: str
    subject: str
    email: str
    email_verified: bool
    name: str = ""


@runtime_checkable
class IdentityProvider(Protocol):
    """What a way of signing in offers the login page and the sign-in routes."""

    #: Names the provider in URLs (``/login/via/<key>``) and in the audit log.
    key: str
    #: What the login page's button says ("Sign in with Example SSO").
    label: str

    def login_start(self, next_url: str) -> ResponseReturnValue:
        """Begin a sign-in; ``next_url`` is where the person goes once signed in."""
        ...

    def callback(self) -> VerifiedIdentity:
        """Finish it from the current request: who the provider vouches for, or
        ``SignInRefused``."""
        ...

    def account_for(self, session: Session, identity: VerifiedIdentity) -> User | Operator:
        """The active account of this host that ``identity`` opens, or ``SignInRefused``."""
        ...


class PasswordProvider:
    """Email and password against this host's accounts: the built-in provider.

    Throttled per tenant, account and address; the time taken does not tell which
    emails have accounts (``accounts.authenticate``).
    """

    key = "password"
    label = "Log in"

    def __init__(self, form: LoginForm):
        self.form = form

    def login_start(self, next_url: str) -> ResponseReturnValue:
        return redirect(url_for("auth.login", next=next_url))

    def callback(self) -> VerifiedIdentity:
        email, password = self.form.email.data, self.form.password.data
        tenant = get_tenant()
        tenant_key = str(tenant.id) if tenant else "platform"
        if not throttle().allow(tenant_key, email, request.remote_addr or "?"):
            abort(429, description=gettext("Too many login attempts. Wait a minute and try again."))
        record = accounts.authenticate(db.session, email, password)
        if record is None:
            raise SignInRefused(gettext("Wrong email or password."))
        return VerifiedIdentity(self.key, str(record.id), record.email, email_verified=True)

    def account_for(self, session: Session, identity: VerifiedIdentity) -> User | Operator:
        record = accounts.find_account(session, identity.email)
        if record is None or not record.active:  # gone since the password was checked
            raise SignInRefused(gettext("Wrong email or password."))
        return record
