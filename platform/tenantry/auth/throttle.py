"""Login (and password reset request) throttling per tenant+account and per client address.

Keys carry the tenant (``platform`` on the root host), so one tenant's
attempts never lock out an account of the same email in another tenant.
Storage is in-process by default and Redis when ``redis_url`` is set, so all
workers share one count.

When Redis cannot be reached, logins neither fail nor go unthrottled: each
process counts in its own memory until Redis answers again (tried at most
every ``RETRY_AFTER_S``), which bounds guessing to the limit per process
instead of per platform. The outage is logged, and ``/readyz`` says
"degraded" (still 200: every process shares the one Redis, so taking them all
out of the balancer would turn a throttling outage into a full one).
"""

from __future__ import annotations

import logging
import threading
import time

from flask import Flask, current_app
from limits import parse
from limits.errors import StorageError
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

log = logging.getLogger(__name__)
EXTENSION = "tenantry.throttle"
RESET_EXTENSION = "tenantry.reset_throttle"
#: Seconds between attempts to reach Redis again after it failed.
RETRY_AFTER_S = 5.0
#: Seconds a call to Redis may take before this process counts alone.
REDIS_TIMEOUT_S = 0.5


class LoginThrottle:
    """Counts attempts of one ``kind`` (sign-ins, password reset requests)."""

    def __init__(self, storage_uri: str, rate: str, kind: str = "login"):
        self._rate = parse(rate)
        self._kind = kind
        self._local = MovingWindowRateLimiter(MemoryStorage())
        self._shared: MovingWindowRateLimiter | None = None
        if not storage_uri.startswith("memory://"):
            storage = storage_from_string(
                storage_uri,
                wrap_exceptions=True,  # every Redis failure arrives as a StorageError
                socket_timeout=REDIS_TIMEOUT_S,
                socket_connect_timeout=REDIS_TIMEOUT_S,
            )
            self._shared = MovingWindowRateLimiter(storage)
        self._down_until = 0.0
        self._lock = threading.Lock()

    def allow(self, tenant_key: str, email: str, address: str) -> bool:
        """Count one attempt; False when either the account or the address is over the limit."""
        shared = self._shared
        if shared is not None and time.monotonic() >= self._down_until:
            try:
                allowed = self._hit(shared, tenant_key, email, address)
            except StorageError as error:
                self._shared_failed(error.storage_error)
            else:
                if self._down_until:
                    self._shared_back()
                return allowed
        return self._hit(self._local, tenant_key, email, address)

    def _hit(
        self, limiter: MovingWindowRateLimiter, tenant_key: str, email: str, address: str
    ) -> bool:
        account_ok = limiter.hit(self._rate, f"{self._kind}-account", tenant_key, email.lower())
        address_ok = limiter.hit(self._rate, f"{self._kind}-address", address)
        return account_ok and address_ok

    def _shared_failed(self, error: Exception) -> None:
        with self._lock:
            first = self._down_until == 0.0
            self._down_until = time.monotonic() + RETRY_AFTER_S
        if first:
            log.warning(
                "Redis unreachable (%s: %s): login attempts are counted per process until it "
                "answers again",
                type(error).__name__,
                error,
            )

    def shared_storage_reachable(self) -> bool | None:
        """For /readyz: whether Redis answers (None when the throttle does not use it)."""
        if self._shared is None:
            return None
        try:
            reachable = self._shared.storage.check()
        except StorageError:
            reachable = False
        if reachable and self._down_until:
            self._shared_back()
        return reachable

    def _shared_back(self) -> None:
        with self._lock:
            was_down, self._down_until = self._down_until, 0.0
        if was_down:
            log.warning("Redis reachable again: login attempts are counted for all processes")

    def clear_address(self, address: str) -> None:
        """Forget the attempts counted for one client address (e.g. an office's proxy)."""
        self._local.clear(self._rate, f"{self._kind}-address", address)
        if self._shared is not None:
            try:
                self._shared.clear(self._rate, f"{self._kind}-address", address)
            except StorageError as error:
                self._shared_failed(error.storage_error)

    def reset(self) -> None:
        self._local.storage.reset()
        if self._shared is not None:
            try:
                self._shared.storage.reset()
            except StorageError as error:
                self._shared_failed(error.storage_error)


def init_app(app: Flask, redis_url: str | None, rate: str, reset_rate: str) -> None:
    app.extensions[EXTENSION] = LoginThrottle(redis_url or "memory://", rate)
    app.extensions[RESET_EXTENSION] = LoginThrottle(redis_url or "memory://", reset_rate, "reset")


def throttle() -> LoginThrottle:
    return current_app.extensions[EXTENSION]


def reset_throttle() -> LoginThrottle:
    """Password reset requests: each sends mail, so fewer are allowed than sign-ins."""
    return current_app.extensions[RESET_EXTENSION]
