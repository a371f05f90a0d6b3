"""Login throttling per tenant+account and per client address.

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


class LoginThrottle:
    def __init__(self, storage_uri: str, rate: str):
        self._limiter = MovingWindowRateLimiter(storage_from_string(storage_uri))
        self._rate = parse(rate)

    def allow(self, tenant_key: str, email: str, address: str) -> bool:
        """Count one attempt; False when either the account or the address is over the limit."""
        account_ok = self._limiter.hit(self._rate, "login-account", tenant_key, email.lower())
        address_ok = self._limiter.hit(self._rate, "login-address", address)
        return account_ok and address_ok

    def reset(self) -> None:
        self._limiter.storage.reset()


def init_app(app: Flask, redis_url: str | None, rate: str) -> None:
    app.extensions[EXTENSION] = LoginThrottle(redis_url or "memory://", rate)


def throttle() -> LoginThrottle:
    return current_app.extensions[EXTENSION]
