"""The platform's Prometheus series, in one place, for every layer to count into.

This module sits at the bottom layer so the cache, the plugin runtime, jobs and
sign-in can count without importing the web stack; the request's own series are
recorded by ``tenantry.instrument`` and served at ``/metrics`` there.

Every label has a bounded set of values: status classes, route groups (blueprint
names, fixed by the code), plugin names, and tenants only by opt-in
(``metrics_tenants``; every other tenant is ``other``), so the number of series
does not grow with the number of tenants.

With several processes (``tenantry serve --workers N``) the library's
multiprocess mode is on: ``PROMETHEUS_MULTIPROC_DIR`` is set before this module
is imported (the supervisor does it), each process writes its values to files
there, and a scrape of any process sums them all.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

#: Seconds: from a few milliseconds to the statement timeout range.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUESTS = Counter(
    "tenantry_requests",
    "Requests served, by status class (2xx...) and route group (blueprint).",
    ["status", "group"],
)
TENANT_REQUESTS = Counter(
    "tenantry_tenant_requests",
    "Requests per tenant: the slugs listed in metrics_tenants, 'platform' for the root "
    "host, 'other' for the rest.",
    ["tenant", "status"],
)
LATENCY = Histogram(
    "tenantry_request_duration_seconds",
    "Time from the request reaching the app to its response, by route group.",
    ["group"],
    buckets=LATENCY_BUCKETS,
)
# Counters, not histograms: an observation costs several times an increment, and the
# per-request mean by route group is these divided by tenantry_requests_total.
DB_QUERIES = Counter(
    "tenantry_db_queries",
    "Database round trips (statements) made by requests, by route group.",
    ["group"],
)
DB_SECONDS = Counter(
    "tenantry_db_seconds",
    "Time requests spent waiting for the database, by route group.",
    ["group"],
)
PLUGIN_FAILURES = Counter(
    "tenantry_plugin_failures",
    "Exceptions raised by a plugin's slot (logged and skipped) or receiver (re-raised).",
    ["plugin", "kind"],
)
LOGIN_FAILURES = Counter(
    "tenantry_login_failures", "Sign-ins refused for a wrong email or password."
)
THROTTLED = Counter(
    "tenantry_throttled",
    "Attempts refused by a rate limit (login, password reset).",
    ["kind"],
)
JOB_FAILURES = Counter(
    "tenantry_job_failures",
    "Jobs whose function raised, by plugin ('core' for the core's).",
    ["plugin"],
)
CACHE_READS = Counter("tenantry_cache_reads", "Tenant cache reads, by result.", ["result"])
CACHE_HITS = CACHE_READS.labels("hit")
CACHE_MISSES = CACHE_READS.labels("miss")
