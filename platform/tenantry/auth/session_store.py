"""Where a browser session's payload lives, by the setting ``session_store``.

- ``cookie`` (default): Flask's signed cookie holds it (``TokenAwareSessions``).
- ``redis``: the cookie holds only a signed random id; the payload (who is signed in,
  the CSRF token, flashed messages) is in Redis under
  ``tenantry:session:<host>:<id>``, expiring with ``session_lifetime_days``.

Either way the sign-in itself is a row (``auth.sessions``: listed, ended, bound to the
tenant by the identity ``u:<tenant id>:<key>``), CSRF is Flask-WTF's token in the
payload, and a request that brings an API token gets no cookie. The Redis key names
the host that made the session (the tenant is resolved after the session is opened):
the same cookie brought to another host finds nothing there, and even a payload it
found would name a sign-in of another tenant, which the identity check refuses. Every
``session.clear()`` (signing in, signing out) starts a new id, so an id planted
before sign-in is worth nothing after it. When Redis cannot be reached, the request
goes on with an empty session (signed out), logged; nothing is a 500.
"""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta
from typing import Any

from flask import Flask, Request, Response, request
from flask.json.tag import TaggedJSONSerializer
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import BadSignature

from tenantry.settings import Settings

log = logging.getLogger(__name__)
KEY_PREFIX = "tenantry:session:"
#: Seconds a call to Redis may take before the request goes on without its session.
REDIS_TIMEOUT_S = 0.5


class TokenAwareSessions(SecureCookieSessionInterface):
    """No session cookie on a request that brought an Authorization header: an API client
    authenticates each call with its token, and a cookie handed back would turn its next
    calls into cookie-authenticated ones (subject to CSRF). Flask-Login's own recipe."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        # Most requests (API calls, public pages, probes through a balancer) bring no
        # session cookie: nothing to verify, so no signer is built for them (Flask builds
        # one per request: ~50 Python calls, measured by bench.ledger).
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: Any, response: Response) -> None:
        if request.headers.get("Authorization"):
            return None
        return super().save_session(app, session, response)


class StoredSession(SecureCookieSession):
    """A session whose payload is kept in Redis under its ``sid``."""

    def __init__(self, initial: Any = None, sid: str = "", new: bool = True):
        super().__init__(initial)
        self.sid = sid
        self.new = new
        self.replaced: str | None = None  # the id a clear() left behind

    def clear(self) -> None:
        """Empty it and take a new id (no fixation: see the module's docstring)."""
        super().clear()
        if self.sid and self.replaced is None:
            self.replaced = self.sid
        self.sid = new_sid()


def new_sid() -> str:
    return secrets.token_urlsafe(32)


class RedisSessions(TokenAwareSessions):
    """The session payload in Redis, the cookie carrying a signed id."""

    serializer = TaggedJSONSerializer()

    def __init__(self, redis_url: str, lifetime: timedelta):
        import redis

        self.redis = redis.Redis.from_url(
            redis_url, socket_timeout=REDIS_TIMEOUT_S, socket_connect_timeout=REDIS_TIMEOUT_S
        )
        self.errors: tuple[type[Exception], ...] = (redis.RedisError, OSError)
        self.lifetime = lifetime

    def _key(self, req: Request, sid: str) -> str:
        return f"{KEY_PREFIX}{req.host.lower()}:{sid}"

    def open_session(self, app: Flask, request: Request) -> StoredSession | None:
        signer = self.get_signing_serializer(app)
        if signer is None:
            return None
        cookie = request.cookies.get(self.get_cookie_name(app))
        sid = None
        if cookie:
            try:
                sid = signer.loads(cookie, max_age=int(self.lifetime.total_seconds()))
            except BadSignature:
                sid = None
        if not isinstance(sid, str) or not sid:
            return StoredSession(sid=new_sid())
        try:
            raw = self.redis.get(self._key(request, sid))
        except self.errors as error:
            log.warning("session store unreachable, going on signed out: %s", error)
            return StoredSession(sid=new_sid())
        if raw is None:
            return StoredSession(sid=new_sid())
        return StoredSession(self.serializer.loads(raw.decode()), sid=sid, new=False)

    def save_session(self, app: Flask, session: Any, response: Response) -> None:
        if request.headers.get("Authorization") or not isinstance(session, StoredSession):
            return None
        name, domain, path = (
            self.get_cookie_name(app),
            self.get_cookie_domain(app),
            self.get_cookie_path(app),
        )
        try:
            if session.replaced:
                self.redis.delete(self._key(request, session.replaced))
            if not session:
                if not session.new:  # it had a payload: it is gone now
                    self.redis.delete(self._key(request, session.sid))
                if session.modified or session.replaced:
                    response.delete_cookie(name, domain=domain, path=path)
                return None
            if not (session.modified or session.new or session.replaced) and not (
                self.should_set_cookie(app, session)
            ):
                return None
            self.redis.set(
                self._key(request, session.sid),
                self.serializer.dumps(dict(session)),
                ex=int(self.lifetime.total_seconds()),
            )
        except self.errors as error:
            log.warning("session store unreachable, session not saved: %s", error)
            return None
        response.vary.add("Cookie")
        response.set_cookie(
            name,
            self.get_signing_serializer(app).dumps(session.sid),  # type: ignore[union-attr]
            expires=self.get_expiration_time(app, session),
            httponly=self.get_cookie_httponly(app),
            domain=domain,
            path=path,
            secure=self.get_cookie_secure(app),
            samesite=self.get_cookie_samesite(app),
        )


def interface(settings: Settings) -> SecureCookieSessionInterface:
    """The session interface ``session_store`` names."""
    if settings.session_store == "redis" and settings.redis_url:  # the settings want both
        return RedisSessions(settings.redis_url, timedelta(days=settings.session_lifetime_days))
    return TokenAwareSessions()
