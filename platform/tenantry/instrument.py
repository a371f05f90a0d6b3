"""Each request's measurements: its status, route group, latency and database time,
recorded once per request, the slow ones logged and kept, and ``/metrics`` served.

The hot path stays cheap: a WSGI middleware starts a ``Tally`` in a context variable
and records it when the app returns; two SQLAlchemy engine events add each
statement's count and time to the tally of the request that runs it (work outside a
request, such as inline jobs, has no tally and is not counted); an after_request hook
notes the route group and tenant on the tally. Label children are looked up once per
(status, group) and kept, so a request costs a few dictionary reads and counter adds.

Scope: ``/metrics`` is platform-wide data and answers only on the root host, to the
addresses in ``metrics_allowed_addresses`` or a bearer ``metrics_token``; on a tenant's
host it does not exist (404). The slow-request list is the platform's, shown only in
the platform admin.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, abort, g, request
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import Engine, event

from tenantry import metrics
from tenantry.jobs.dispatch import Queued, dispatcher
from tenantry.requestlog import current_request_id
from tenantry.serve import MULTIPROC_VARIABLE
from tenantry.settings import Settings
from tenantry.tenancy.context import get_tenant
from tenantry.usage import UsageBuffer

log = logging.getLogger("tenantry.slow")
EXTENSION = "tenantry.instrument"
USAGE_EXTENSION = "tenantry.usage"
#: How many slow requests each process remembers for the platform admin.
SLOW_KEPT = 200
_tally: ContextVar[Tally | None] = ContextVar("tenantry.tally", default=None)


class Tally:
    """What one request measured so far; filled by the engine events and the hook."""

    __slots__ = ("db_s", "group", "queries", "route", "started_db", "status", "tenant", "user")

    def __init__(self) -> None:
        self.queries = 0
        self.db_s = 0.0
        self.started_db = 0.0
        self.status = "500"
        self.group = "unmatched"
        self.route = "(no route)"
        self.tenant: Any = None  # the TenantRef, None on the root host
        self.user: int | None = None


@dataclass(frozen=True)
class SlowRequest:
    """One request slower than ``slow_request_ms``, as the platform admin lists it."""

    at: datetime
    tenant: str
    method: str
    path: str
    route: str
    status: int
    total_ms: float
    db_ms: float
    queries: int
    request_id: str


class Instrument:
    """The app's recorder: label children, the tenants with their own label, the slow list."""

    def __init__(self, settings: Settings):
        self.tenants = frozenset(settings.metrics_tenants)
        self.slow_s = settings.slow_request_ms / 1000 if settings.slow_request_ms else None
        self.slow: deque[SlowRequest] = deque(maxlen=SLOW_KEPT)
        self._children: dict[tuple[str, str], tuple[Any, Any, Any, Any]] = {}
        self._tenant_children: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()
        #: Called with every finished tally (the usage buffer listens here).
        self.listeners: list[Callable[[Tally, float], None]] = []

    def record(self, tally: Tally, seconds: float, environ: dict[str, Any]) -> None:
        status = tally.status[0] + "xx"
        key = (status, tally.group)
        children = self._children.get(key)
        if children is None:
            children = (
                metrics.REQUESTS.labels(status, tally.group),
                metrics.LATENCY.labels(tally.group),
                metrics.DB_QUERIES.labels(tally.group),
                metrics.DB_SECONDS.labels(tally.group),
            )
            self._children[key] = children
        children[0].inc()
        children[1].observe(seconds)
        if tally.queries:
            children[2].inc(tally.queries)
            children[3].inc(tally.db_s)
        slug = tally.tenant.slug if tally.tenant is not None else "platform"
        if self.tenants:  # nobody asked for per-tenant series: no cost at all
            label = slug if slug in self.tenants or slug == "platform" else "other"
            tenant_child = self._tenant_children.get((label, status))
            if tenant_child is None:
                tenant_child = metrics.TENANT_REQUESTS.labels(label, status)
                self._tenant_children[(label, status)] = tenant_child
            tenant_child.inc()
        for listener in self.listeners:
            listener(tally, seconds)
        if self.slow_s is not None and seconds >= self.slow_s:
            self._note_slow(tally, seconds, environ, slug)

    def _note_slow(self, tally: Tally, seconds: float, environ: dict[str, Any], slug: str) -> None:
        entry = SlowRequest(
            at=datetime.now(UTC),
            tenant=slug,
            method=environ.get("REQUEST_METHOD", ""),
            path=environ.get("PATH_INFO", ""),
            route=tally.route,
            status=int(tally.status),
            total_ms=round(seconds * 1000, 1),
            db_ms=round(tally.db_s * 1000, 1),
            queries=tally.queries,
            request_id=current_request_id(),
        )
        with self._lock:
            self.slow.append(entry)
        log.warning(
            "slow request: %s %s tenant=%s route=%s status=%s total=%.1fms db=%.1fms "
            "queries=%d rid=%s",
            entry.method,
            entry.path,
            entry.tenant,
            entry.route,
            entry.status,
            entry.total_ms,
            entry.db_ms,
            entry.queries,
            entry.request_id,
            extra={"fields": {"slow": True, **entry.__dict__, "at": entry.at.isoformat()}},
        )

    def recent_slow(self) -> list[SlowRequest]:
        """The slow requests this process served, slowest first."""
        with self._lock:
            kept = list(self.slow)
        return sorted(kept, key=lambda entry: entry.total_ms, reverse=True)


class RequestMetrics:
    """WSGI middleware (innermost, inside the probes): one tally per request, recorded when
    the app has produced its response."""

    def __init__(self, app: Any, instrument: Instrument):
        self.app = app
        self.instrument = instrument

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        started = time.perf_counter()
        tally = Tally()
        token = _tally.set(tally)

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            tally.status = status[:3]
            return start_response(status, headers, exc_info)

        try:
            return self.app(environ, start)
        finally:
            _tally.reset(token)
            self.instrument.record(tally, time.perf_counter() - started, environ)


def note_request(response: Response) -> Response:
    """after_request: the route group (blueprint), tenant and signed-in user of the tally."""
    tally = _tally.get()
    if tally is not None:
        rule = request.url_rule
        if rule is not None:
            tally.route = rule.rule
            tally.group = request.blueprint or "app"
        tally.tenant = get_tenant()
        user = g.get("_login_user")  # already loaded by the request, or not at all
        tally.user = getattr(getattr(user, "record", None), "id", None)
    return response


def _before_cursor(*_args: Any) -> None:
    tally = _tally.get()
    if tally is not None:
        tally.started_db = time.perf_counter()


def _after_cursor(*_args: Any) -> None:
    tally = _tally.get()
    if tally is not None:
        tally.queries += 1
        tally.db_s += time.perf_counter() - tally.started_db


def count_statements(engines: Iterable[Engine]) -> None:
    """Count every statement and its time on ``engines`` into the running request's tally."""
    for engine in engines:
        if not event.contains(engine, "before_cursor_execute", _before_cursor):
            event.listen(engine, "before_cursor_execute", _before_cursor)
            event.listen(engine, "after_cursor_execute", _after_cursor)


def recent_slow(app: Flask) -> list[SlowRequest]:
    """This process's recent slow requests, slowest first (none when metrics are off)."""
    recorder = instrument_of(app)
    return recorder.recent_slow() if recorder is not None else []


def instrument_of(app: Flask) -> Instrument | None:
    """The app's recorder (None when metrics are off)."""
    return app.extensions.get(EXTENSION)


class JobQueue:
    """A collector read at scrape time: the job queue's depth and failed jobs (from Redis)."""

    def __init__(self, app: Flask):
        self.app = app

    def collect(self) -> Iterable[GaugeMetricFamily]:
        target = dispatcher(self.app)
        if not isinstance(target, Queued):
            return []
        depth = GaugeMetricFamily("tenantry_job_queue_depth", "Jobs waiting in the queue.")
        failed = GaugeMetricFamily(
            "tenantry_job_queue_failed", "Jobs in the queue's failed registry (kept 7 days)."
        )
        try:
            depth.add_metric([], target.queue.count)
            failed.add_metric([], target.queue.failed_job_registry.count)
        except Exception as error:  # redis-py raises its own and OSErrors alike
            log.warning("job queue unreadable for /metrics (%s: %s)", type(error).__name__, error)
            return []
        return [depth, failed]


def _allowed(settings: Settings, networks: list[Any]) -> bool:
    token = settings.metrics_token
    offered = request.headers.get("Authorization", "")
    if token is not None and hmac.compare_digest(
        offered.encode(), f"Bearer {token.get_secret_value()}".encode()
    ):
        return True
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return any(address in network for network in networks)


def _exposition(app: Flask) -> bytes:
    folder = os.environ.get(MULTIPROC_VARIABLE)
    if folder:
        registry = CollectorRegistry()
        MultiProcessCollector(registry, folder)
    else:
        registry = CollectorRegistry()
        registry.register(_Default())
    registry.register(JobQueue(app))
    return generate_latest(registry)


class _Default:
    """This process's own series (the default registry), inside a per-scrape registry."""

    def collect(self) -> Iterable[Any]:
        return REGISTRY.collect()


def init_app(
    app: Flask, settings: Settings, engines: Iterable[Engine], platform_engine: Engine
) -> Instrument | None:
    """Turn the recorder on (unless ``metrics_enabled`` is off), with the per-tenant usage
    counts it feeds, and add ``/metrics``."""
    if not settings.metrics_enabled:
        return None
    recorder = Instrument(settings)
    app.extensions[EXTENSION] = recorder
    buffer = UsageBuffer(platform_engine, settings.usage_flush_s)
    app.extensions[USAGE_EXTENSION] = buffer

    def count_usage(tally: Tally, _seconds: float) -> None:
        if tally.tenant is not None:
            buffer.note(tally.tenant.id, tally.status, tally.user)

    recorder.listeners.append(count_usage)
    count_statements(engines)
    networks = [ipaddress.ip_network(a, strict=False) for a in settings.metrics_allowed_addresses]

    def serve_metrics() -> Response:
        if get_tenant() is not None:
            abort(404)  # platform data: never on a tenant's host
        if not _allowed(settings, networks):
            abort(403, description="/metrics is not open to this address; send the token.")
        return Response(_exposition(app), mimetype=CONTENT_TYPE_LATEST)

    app.add_url_rule("/metrics", "tenantry_metrics", serve_metrics)
    return recorder


def wrap(wsgi_app: Any, app: Flask) -> Any:
    """The middleware around ``wsgi_app`` when metrics are on, else ``wsgi_app`` itself."""
    recorder = instrument_of(app)
    return RequestMetrics(wsgi_app, recorder) if recorder is not None else wsgi_app
