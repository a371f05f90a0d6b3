"""Logging set-up, request ids, and the one line per request (method, path, status,
duration, tenant).

With many processes behind a balancer, a line is only useful if it says which
process wrote it and which request it belongs to: every line carries the
process id and the request id, in text and in JSON. The request id is the
trusted proxy's ``X-Request-ID`` (so the balancer's log and ours join up),
else a new one; either way it goes back in the response's ``X-Request-ID``.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Iterable
from contextvars import ContextVar
from typing import Any

from flask import Response, g, request

from tenantry.proxies import FROM_PROXY_KEY
from tenantry.settings import Settings
from tenantry.tenancy.context import get_tenant

log = logging.getLogger("tenantry.request")
HEADER = "X-Request-ID"
#: What a proxy's id may look like to be passed on (anything else gets a fresh id).
_ACCEPTABLE_ID = re.compile(r"[A-Za-z0-9._:+/=@-]{1,128}")
_request_id: ContextVar[str] = ContextVar("tenantry.request_id", default="-")
TEXT_FORMAT = "%(asctime)s %(levelname)s pid=%(process)d rid=%(request_id)s %(name)s: %(message)s"


def current_request_id() -> str:
    """The id of the request being served ('-' outside one)."""
    return _request_id.get()


class RequestIds:
    """WSGI middleware (inside ``ForwardedHeaders``): each request's id, for the logs and
    the response."""

    def __init__(self, app: Any):
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        offered = environ.get("HTTP_X_REQUEST_ID", "")
        trusted = environ.get(FROM_PROXY_KEY) and _ACCEPTABLE_ID.fullmatch(offered)
        request_id = offered if trusted else uuid.uuid4().hex

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            headers = [(k, v) for k, v in headers if k.lower() != "x-request-id"]
            headers.append((HEADER, request_id))
            return start_response(status, headers, exc_info)

        token = _request_id.set(request_id)
        try:
            return self.app(environ, start)
        finally:
            _request_id.reset(token)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        record.request_id = current_request_id()
        return super().format(record)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "pid": record.process,
            "request_id": current_request_id(),
            "message": record.getMessage(),
        }
        payload.update(getattr(record, "fields", {}))
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return json.dumps(payload)


def configure_logging(settings: Settings) -> None:
    root = logging.getLogger("tenantry")
    root.setLevel(settings.log_level)
    root.propagate = False
    if not any(getattr(h, "_tenantry", False) for h in root.handlers):
        handler = logging.StreamHandler()
        handler._tenantry = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    for handler in root.handlers:
        if getattr(handler, "_tenantry", False):
            handler.setFormatter(
                JsonFormatter() if settings.log_format == "json" else TextFormatter()
            )


def start_timer() -> None:
    """before_request: the first hook, so the logged duration covers every other."""
    g._started = time.perf_counter()


def log_request(response: Response) -> Response:
    """after_request: one line per request."""
    if not log.isEnabledFor(logging.INFO):
        return response
    duration = (time.perf_counter() - g.get("_started", time.perf_counter())) * 1000
    tenant = get_tenant()
    fields = {
        "method": request.method,
        "path": request.path,
        "status": response.status_code,
        "duration_ms": round(duration, 2),
        "tenant": tenant.slug if tenant else "",
    }
    log.info(
        "%s %s %s %.1fms tenant=%s",
        request.method,
        request.path,
        response.status_code,
        duration,
        fields["tenant"],
        extra={"fields": fields},
    )
    return response
