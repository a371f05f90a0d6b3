"""Signed links (password resets, invitations): tamper-proof, expiring, and bound to state.

A link is signed with the app's secret key, for one purpose, and can be bound to
a value that must still be the same when it is used (a reset link to the
account's password hash): when that value changes the signature no longer
matches, so the link works once. The payload is readable, so it never holds a secret.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_babel import gettext
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from tenantry.errors import Refused


class LinkError(Refused):
    """A link that cannot be used; ``expired`` tells an old link from a wrong or used one."""

    def __init__(self, message: str, expired: bool = False):
        super().__init__(message)
        self.expired = expired


def _serializer(purpose: str, bound_to: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=f"tenantry.{purpose}:{bound_to}")


def sign(purpose: str, payload: dict[str, Any], *, bound_to: str = "") -> str:
    return _serializer(purpose, bound_to).dumps(payload)


def peek(purpose: str, token: str) -> dict[str, Any] | None:
    """The payload without checking the signature: only to find what the link is bound to."""
    _signed, payload = _serializer(purpose, "").loads_unsafe(token)
    return payload if isinstance(payload, dict) else None


def verify(purpose: str, token: str, max_age: float, *, bound_to: str = "") -> dict[str, Any]:
    """The payload of a valid, unexpired link; raises LinkError otherwise."""
    try:
        payload = _serializer(purpose, bound_to).loads(token, max_age=max_age)
    except SignatureExpired:
        raise LinkError(gettext("This link has expired."), expired=True) from None
    except BadSignature:
        raise LinkError(
            gettext("This link is not valid: it was used already, or is incomplete.")
        ) from None
    if not isinstance(payload, dict):
        raise LinkError(gettext("This link is not valid."))
    return payload
