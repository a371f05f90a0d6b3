"""Logging set-up and the one line per request (method, path, status, duration, tenant)."""

from __future__ import annotations

import json
import logging
import time

from flask import Response, g, request

from tenantry.settings import Settings
from tenantry.tenancy.context import get_tenant

log = logging.getLogger("tenantry.request")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
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
                JsonFormatter()
                if settings.log_format == "json"
                else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
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
