"""Signing in with the OpenID Connect issuers a tenant's admins set up (``OidcProvider``).

Authlib is the client. For each sign-in a ``FlaskOAuth2App`` is built from the
tenant's row: it reads the issuer's discovery document, redirects there with state,
nonce and a PKCE challenge (kept in the session, whose cookie belongs to the
tenant's host), then exchanges the code with the client secret and checks the ID
token: its signature against the issuer's published keys, ``iss`` the configured
issuer, ``aud`` this client, the nonce, the expiry. The redirect URI is on the
tenant's own host.

Who comes in: the account whose email the issuer says is *verified* (accounts are
linked on that alone, and only then); an email outside the allowed domains, an
unverified one, and an unknown one while auto-provisioning is off are refused with
a sentence saying so.

Scope: every query runs in the current tenant (the session layer confines it), so a
key names a row of this tenant or nothing (404), and another tenant's admins can
neither see a row nor sign in through it. Nothing is cached between requests:
discovery and keys are read per sign-in (two small GETs; sign-ins are rare), so no
cache entry can cross tenants.
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import urlsplit

import requests
from authlib.integrations.base_client import MismatchingStateError, OAuthError
from authlib.integrations.flask_client import FlaskOAuth2App
from authlib.integrations.flask_client.integration import FlaskIntegration
from flask import abort, current_app, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from joserfc.errors import BadSignatureError, ClaimError, ExpiredTokenError, JoseError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tenantry import auditlog
from tenantry.auth import accounts, sealing
from tenantry.auth.models import OidcProvider, User
from tenantry.auth.providers import SignInRefused, VerifiedIdentity
from tenantry.db import db
from tenantry.errors import ValidationFailed
from tenantry.inputs import MAX_KEY
from tenantry.tenancy.context import current_tenant, get_tenant

log = logging.getLogger(__name__)
SCOPE = "openid email profile"
#: The session's note of how this sign-in came: the provider's key and its ID token,
#: which signing out hands back to the issuer (RP-initiated logout).
SIGNED_IN_VIA = "tenantry.signed_in_via"
NEXT = "tenantry.sign_in_next"
SEAL = "oidc-client-secret"
LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
DOMAIN = re.compile(rf"^{LABEL}(?:\.{LABEL})+$")
#: Network and protocol failures of an issuer: shown as "cannot be reached", logged.
UNREACHABLE = (requests.RequestException, ValueError, RuntimeError, KeyError)


def offered() -> list[OpenIDConnect]:
    """The enabled providers of the current tenant, as the login page offers them."""
    if get_tenant() is None:
        return []
    rows = db.session.scalars(
        select(OidcProvider).where(OidcProvider.enabled.is_(True)).order_by(OidcProvider.name)
    )
    return [OpenIDConnect(row) for row in rows]


def _row(key: str) -> OidcProvider | None:
    prefix, _, number = key.partition("-")
    if prefix != "oidc" or not (number.isascii() and number.isdigit()) or get_tenant() is None:
        return None
    if int(number) > MAX_KEY:
        return None
    row = db.session.get(OidcProvider, int(number))  # this tenant's rows only
    return row if row is not None and row.enabled else None


def named(key: str) -> OpenIDConnect:
    """The current tenant's enabled provider ``key`` names (``oidc-<id>``); else 404."""
    row = _row(key)
    if row is None:
        abort(404)
    return OpenIDConnect(row)


def next_url() -> str | None:
    return session.pop(NEXT, None)


def remember(provider: OpenIDConnect) -> None:
    """After the fresh session is started: note the provider, to sign out of it later."""
    session[SIGNED_IN_VIA] = {"key": provider.key, "id_token": provider.id_token}


def signed_in_via() -> dict[str, str] | None:
    return session.get(SIGNED_IN_VIA)


def record_refusal(provider: OpenIDConnect, reason: str) -> None:
    auditlog.record(
        "user.sign_in_failed", None, label=provider.row.name, detail={"reason": reason[:200]}
    )


def end_session(via: dict[str, str] | None) -> tuple[str, str] | None:
    """Where to sign out of the issuer a session came through, and the issuer's name:
    its end-session endpoint, which sends the person back to this host's login page.
    None when there is none (or it cannot be read): the local sign-out stands alone."""
    row = _row(via.get("key", "")) if via else None
    if row is None:
        return None
    try:
        logout = (
            OpenIDConnect(row)
            .client()
            .create_logout_url(
                post_logout_redirect_uri=url_for("auth.login", _external=True),
                id_token_hint=via.get("id_token") or None,
                client_id=row.client_id,
            )
        )
    except (*UNREACHABLE, SignInRefused) as error:
        log.warning("signing out of %s skipped: %s", row.issuer, error)
        return None
    return row.name, logout["url"]


class OpenIDConnect:
    """One tenant's OpenID Connect issuer as an ``IdentityProvider``."""

    def __init__(self, row: OidcProvider):
        self.row = row
        self.key = row.key
        self.label = gettext("Sign in with %(name)s", name=row.name)
        self.id_token = ""

    def client(self) -> FlaskOAuth2App:
        """Authlib's client for this row, for this request only (nothing shared)."""
        timeout = current_app.extensions["tenantry.settings"].oidc_timeout_s
        name = f"tenantry_{self.key}"
        return FlaskOAuth2App(
            FlaskIntegration(name),
            name=name,
            client_id=self.row.client_id,
            client_secret=self.client_secret(),
            server_metadata_url=discovery_url(self.row.issuer),
            client_kwargs={
                "scope": SCOPE,
                "code_challenge_method": "S256",
                "default_timeout": timeout,
            },
        )

    def client_secret(self) -> str:
        secret = unseal_secret(self.row)
        if secret is None:
            log.warning("%s: the client secret cannot be unsealed (secret key changed?)", self.key)
            raise SignInRefused(
                f"Sign-in with {self.row.name} needs its client secret entered again by an "
                "administrator of this site."
            )
        return secret

    def login_start(self, next_url: str) -> ResponseReturnValue:
        session[NEXT] = next_url
        redirect_uri = url_for("auth.login_callback", key=self.key, _external=True)
        try:
            return self.client().authorize_redirect(redirect_uri)
        except UNREACHABLE as error:
            log.warning("%s: discovery failed: %s", self.row.issuer, error)
            raise SignInRefused(self._unreachable()) from None

    def callback(self) -> VerifiedIdentity:
        name = self.row.name
        error = request.args.get("error")
        if error:
            said = request.args.get("error_description") or error
            raise SignInRefused(f"{name} did not sign you in: {said[:200]}")
        client = self.client()
        try:
            token = client.authorize_access_token(
                claims_options={
                    "iss": {"essential": True, "value": self.row.issuer},
                    "aud": {"essential": True, "value": self.row.client_id},
                }
            )
        except MismatchingStateError:
            raise SignInRefused(
                f"This sign-in with {name} was not started in this browser, or was already "
                "used. Start again."
            ) from None
        except OAuthError as refused:
            raise SignInRefused(f"{name} refused the sign-in ({refused.error}).") from None
        except JoseError as bad:
            raise SignInRefused(self._token_refusal(bad)) from None
        except UNREACHABLE as failure:
            log.warning("%s: token exchange failed: %s", self.row.issuer, failure)
            raise SignInRefused(self._unreachable()) from None
        claims = token.get("userinfo")
        if not claims:
            raise SignInRefused(f"{name} sent no ID token, so it cannot sign you in here.")
        if not claims.get("email"):
            try:
                claims = client.userinfo(token=token)
            except UNREACHABLE as failure:
                log.warning("%s: userinfo failed: %s", self.row.issuer, failure)
                raise SignInRefused(self._unreachable()) from None
        self.id_token = token.get("id_token", "")
        return VerifiedIdentity(
            provider=self.key,
            subject=str(claims.get("sub", "")),
            email=str(claims.get("email") or ""),
            email_verified=claims.get("email_verified") in (True, "true"),
            name=str(claims.get("name") or ""),
        )

    def account_for(self, session: Session, identity: VerifiedIdentity) -> User:
        name, row = self.row.name, self.row
        try:
            email = accounts.normalise_email(identity.email)
        except ValidationFailed:
            raise SignInRefused(f"{name} did not tell us your email address.") from None
        if not identity.email_verified:
            raise SignInRefused(
                f"{name} has not verified your email address {email}, so it cannot sign you "
                f"in here. Verify it with {name} first."
            )
        allowed = row.allowed_domains.split()
        if allowed and email.rpartition("@")[2] not in allowed:
            raise SignInRefused(
                f"{email} may not sign in here with {name}: only addresses at "
                f"{', '.join(allowed)} may."
            )
        user = session.scalar(select(User).where(func.lower(User.email) == email))
        if user is not None:
            if not user.active:
                raise SignInRefused("Your account here is disabled.")
            return user
        if not row.auto_provision:
            raise SignInRefused(
                f"There is no account for {email} here. Ask an administrator of "
                f"{current_tenant.name} to invite you."
            )
        return accounts.provision_user(
            session, get_tenant(), email, row.default_role, identity.name, via=self.key
        )

    def _unreachable(self) -> str:
        return f"{self.row.name} cannot be reached right now. Try again in a moment."

    def _token_refusal(self, bad: JoseError) -> str:
        name = self.row.name
        if isinstance(bad, BadSignatureError):
            return f"The sign-in token was not signed by {name}. Start again."
        if isinstance(bad, ExpiredTokenError):
            return f"The sign-in token from {name} has expired. Start again."
        if isinstance(bad, ClaimError) and bad.claim in ("aud", "azp"):
            return f"The sign-in token from {name} was issued for another site, not this one."
        if isinstance(bad, ClaimError) and bad.claim == "iss":
            return f"The sign-in token did not come from {name}'s issuer."
        if isinstance(bad, ClaimError) and bad.claim == "nonce":
            return f"The sign-in token from {name} belongs to another sign-in. Start again."
        return f"The sign-in token from {name} is not valid ({bad.error or 'invalid'})."


def unseal_secret(row: OidcProvider) -> str | None:
    return sealing.unseal(SEAL, row.client_secret_sealed, bound_to=str(row.tenant_id))


def discovery_url(issuer: str) -> str:
    return issuer.rstrip("/") + "/.well-known/openid-configuration"


# --- the tenant admin's side: setting providers up --------------------------------------


def _issuer(raw: str) -> str:
    issuer = (raw or "").strip()
    parts = urlsplit(issuer)
    allow_http = current_app.extensions["tenantry.settings"].oidc_allow_http_issuers
    schemes = ("https", "http") if allow_http else ("https",)
    if (
        parts.scheme not in schemes
        or not parts.hostname
        or parts.query
        or parts.fragment
        or parts.username
        or len(issuer) > 500
    ):
        raise ValidationFailed(
            {"issuer": "Enter the issuer's https:// URL, e.g. https://login.example.com."}
        )
    return issuer


def _domains(raw: str) -> str:
    domains = [d for d in re.split(r"[\s,]+", (raw or "").strip().lower()) if d]
    for domain in domains:
        if not DOMAIN.match(domain.removeprefix("@")):
            raise ValidationFailed({"allowed_domains": f"{domain!r} is not a domain name."})
    joined = " ".join(d.removeprefix("@") for d in domains)
    if len(joined) > 1000:
        raise ValidationFailed({"allowed_domains": "Too many domains (1000 characters at most)."})
    return joined


def save_provider(
    session: Session,
    row: OidcProvider | None,
    *,
    name: str,
    issuer: str,
    client_id: str,
    client_secret: str,
    allowed_domains: str,
    auto_provision: bool,
    default_role: str,
    enabled: bool,
) -> OidcProvider:
    """Create (``row`` None) or change a provider of the current tenant. An empty
    ``client_secret`` keeps the stored one; a new provider needs one."""
    errors = {}
    name, client_id = (name or "").strip(), (client_id or "").strip()
    if not name or len(name) > 100:
        errors["name"] = "Name it as people should see it, in 1 to 100 characters."
    if not client_id or len(client_id) > 255:
        errors["client_id"] = "Enter the client id the issuer gave you (255 characters at most)."
    if row is None and not client_secret:
        errors["new_client_secret"] = "Enter the client secret the issuer gave you."
    if client_secret and len(client_secret) > 500:
        errors["new_client_secret"] = "A client secret has 500 characters at most."
    if errors:
        raise ValidationFailed(errors)
    values: dict[str, Any] = {
        "name": name,
        "issuer": _issuer(issuer),
        "client_id": client_id,
        "allowed_domains": _domains(allowed_domains),
        "auto_provision": bool(auto_provision),
        "default_role": accounts.role_named(default_role),
        "enabled": bool(enabled),
    }
    if session.scalar(
        select(OidcProvider.id).where(
            OidcProvider.name == name, OidcProvider.id != (row.id if row else 0)
        )
    ):
        raise ValidationFailed({"name": f"A provider named {name!r} exists already."})
    created = row is None
    if row is None:
        row = OidcProvider(tenant_id=get_tenant().id)
        session.add(row)
    for field, value in values.items():
        setattr(row, field, value)
    if client_secret:
        row.client_secret_sealed = sealing.seal(SEAL, client_secret, bound_to=str(row.tenant_id))
    session.flush()
    auditlog.record(
        "oidc_provider.created" if created else "oidc_provider.updated",
        row,
        detail={"issuer": row.issuer, "client_id": row.client_id},
    )
    return row


def delete_provider(session: Session, row: OidcProvider) -> None:
    auditlog.record("oidc_provider.deleted", row)
    session.delete(row)
    session.flush()
