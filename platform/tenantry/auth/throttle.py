"""Login (and password reset request) throttling per tenant+account and per client address.

Keys carry the tenant (``platform`` on the root host), so one tenant's
attempts never lock out an account of the same email in another tenant.
Storage is in-process by default and Redis when ``redis_url`` is set, so all
workers share one count.
"""

from __future__ import annotations

from flask import Flask, current_app
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

EXTENSION = "tenantry.throttle"
RESET_EXTENSION = "tenantry.reset_throttle"


class LoginThrottle:
    def __init__(self, storage_uri: str, rate: str, kind: str = "login"):
        self._limiter = MovingWindowRateLimiter(storage_from_string(storage_uri))
        self._rate = parse(rate)
        self._kind = kind

    def allow(self, tenant_key: str, email: str, address: str) -> bool:
        """Count one attempt; False when either the account or the address is over the limit."""
        account = self._limiter.hit(self._rate, f"{self._kind}-account", tenant_key, email.lower())
        address_ok = self._limiter.hit(self._rate, f"{self._kind}-address", address)
        return account and address_ok

    def reset(self) -> None:
        self._limiter.storage.reset()


def init_app(app: Flask, redis_url: str | None, rate: str, reset_rate: str) -> None:
    app.extensions[EXTENSION] = LoginThrottle(redis_url or "memory://", rate)
    app.extensions[RESET_EXTENSION] = LoginThrottle(redis_url or "memory://", reset_rate, "reset")


def throttle() -> LoginThrottle:
    return current_app.extensions[EXTENSION]


def reset_throttle() -> LoginThrottle:
    """Password reset requests: each sends mail, so fewer are allowed than sign-ins."""
    return current_app.extensions[RESET_EXTENSION]
