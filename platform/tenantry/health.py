"""Liveness and readiness probes that load balancers and orchestrators can use.

Answered in front of Flask (a WSGI middleware) on any Host — an IP address,
an unknown name, none at all — since that is what balancers send: no Host
check, no session, no tenant, no login. The body says only the status,
except on the root host (the operators' host), where it also names each check.

- ``/healthz`` (liveness): the process serves requests. Always 200.
- ``/readyz`` (readiness): 503 "unavailable" when the database cannot be
  reached, is a standby (writes would fail) or its schema is behind what this
  code expects (``tenantry db upgrade``). A schema *ahead* is ready: in a
  rolling deploy the new code migrates and the old processes keep serving.
  200 "degraded" when Redis (configured) or a replica is unreachable or a
  replica lags: the process still serves correctly (logins counted per
  process, reads from the primary), and since every process shares them,
  failing all of them would turn a partial outage into a full one.

A change of readiness is logged once, not at every probe.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable
from typing import Any

from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from tenantry.migrate import SchemaCheck
from tenantry.replicas import ReplicaSet
from tenantry.tenancy.errors import InvalidName
from tenantry.tenancy.hostnames import normalize_host

log = logging.getLogger(__name__)
PROBES = frozenset({"/healthz", "/readyz"})
_REASONS = {200: "200 OK", 405: "405 METHOD NOT ALLOWED", 503: "503 SERVICE UNAVAILABLE"}


class Readiness:
    """The checks behind /readyz; ``check`` returns (status, details)."""

    def __init__(
        self,
        engine: Engine,
        schema: SchemaCheck,
        replicas: ReplicaSet | None = None,
        redis_reachable: Callable[[], bool | None] | None = None,
    ):
        self.engine = engine
        self.schema = schema
        self.replicas = replicas
        self.redis_reachable = redis_reachable

    def check(self) -> tuple[str, dict[str, Any]]:
        try:
            with self.engine.connect() as connection:
                current = set(MigrationContext.configure(connection).get_current_heads())
                standby = connection.dialect.name == "postgresql" and bool(
                    connection.exec_driver_sql("SELECT pg_is_in_recovery()").scalar()
                )
        except SQLAlchemyError as error:
            cause = getattr(error, "orig", None) or error
            return "unavailable", {"database": f"unreachable: {type(cause).__name__}"}
        if standby:
            return "unavailable", {"database": "a standby (in recovery): writes would fail"}
        details: dict[str, Any] = {"database": "ok"}
        status = "ok"
        position = self.schema.judge(current)
        details["migrations"] = position
        if position == "behind":
            details["hint"] = "run `tenantry db upgrade`"
            status = "unavailable"
        if self.redis_reachable is not None and (reachable := self.redis_reachable()) is not None:
            details["redis"] = "ok" if reachable else "unreachable: logins counted per process"
            if not reachable and status == "ok":
                status = "degraded"
        if self.replicas is not None:
            details["replicas"] = self.replicas.status()
            if status == "ok" and any(r["status"] != "ok" for r in details["replicas"]):
                status = "degraded"
        return status, details


class Probes:
    """WSGI middleware answering /healthz and /readyz before the app sees the request."""

    def __init__(
        self, app: Any, readiness: Readiness, root_host: str, headers: list[tuple[str, str]]
    ):
        self.app = app
        self.readiness = readiness
        self.root_host = root_host
        self.headers = [
            ("Content-Type", "application/json"),
            ("Cache-Control", "no-store"),
            *headers,
        ]
        self._last = "ok"
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path not in PROBES:
            return self.app(environ, start_response)
        method = environ.get("REQUEST_METHOD", "GET")
        if method not in ("GET", "HEAD"):
            return self._answer(start_response, 405, {"status": "method not allowed"}, method)
        if path == "/healthz":
            status, details = "ok", {}
        else:
            status, details = self.readiness.check()
            self._note(status, details)
        body: dict[str, Any] = {"status": status}
        if self._on_root_host(environ):
            body.update(details)
        return self._answer(start_response, 503 if status == "unavailable" else 200, body, method)

    def _answer(
        self, start_response: Any, code: int, body: dict[str, Any], method: str
    ) -> list[bytes]:
        payload = json.dumps(body).encode()
        headers = [*self.headers, ("Content-Length", str(len(payload)))]
        if code == 405:
            headers.append(("Allow", "GET, HEAD"))
        start_response(_REASONS[code], headers)
        return [b"" if method == "HEAD" else payload]

    def _on_root_host(self, environ: dict[str, Any]) -> bool:
        try:
            return normalize_host(environ.get("HTTP_HOST", "")) == self.root_host
        except InvalidName:
            return False

    def _note(self, status: str, details: dict[str, Any]) -> None:
        with self._lock:
            changed, self._last = status != self._last, status
        if changed:
            level = logging.INFO if status == "ok" else logging.WARNING
            log.log(level, "readiness is now %s: %s", status, json.dumps(details))
