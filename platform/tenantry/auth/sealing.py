"""Secrets the app must use again but nobody should read in the database (a tenant's
OpenID Connect client secret): sealed with Fernet (AES-CBC and HMAC-SHA256) under a key
derived from the app's secret key, for one purpose and bound to one value (the tenant),
so a sealed value copied into another tenant's row does not open there.

Changing the app's secret key makes sealed values unreadable: ``unseal`` answers None,
and the caller asks for the secret again.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app


def _fernet(purpose: str, bound_to: str) -> Fernet:
    secret = current_app.secret_key
    material = secret.encode() if isinstance(secret, str) else bytes(secret or b"")
    key = hashlib.sha256(f"tenantry.seal.{purpose}:{bound_to}:".encode() + material).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def seal(purpose: str, value: str, *, bound_to: str) -> str:
    return _fernet(purpose, bound_to).encrypt(value.encode()).decode()


def unseal(purpose: str, sealed: str, *, bound_to: str) -> str | None:
    """The value, or None when it was sealed for another purpose, binding or key."""
    try:
        return _fernet(purpose, bound_to).decrypt(sealed.encode()).decode()
    except (InvalidToken, ValueError):
        return None
