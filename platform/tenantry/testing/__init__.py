"""Tenantry's testing kit: what its own tests and plugin authors' tests import.

Plain helpers only: importing this package never imports pytest, so benchmarks
and scripts use it too. The pytest fixtures (``app``, ``make_tenant``,
``tenant_client``...) live in ``tenantry.testing.fixtures``, which installing
tenantry registers as a pytest plugin (entry point ``pytest11``); tests use
them by name and never import that module.

- ``apps``: settings for a scratch database, the app built and migrated, emptied again,
  another app on the same database with some settings changed (``app_like``);
- ``clients``: test clients bound to a host, logging in through the real form (and
  ``WireClient``, the same over real sockets);
- ``postgres``: a scratch PostgreSQL database and the role row-level security applies to;
- ``servers``: a real waitress server in a thread, a free loopback port;
- ``smtp``: a real SMTP server (aiosmtpd) in a thread, and the messages it received;
- ``oidc_provider``: a real OpenID Connect issuer on loopback, for single sign-on tests
  (fixture ``oidc_issuer``);
- ``load``: a bounded concurrent load through a real server that counts tenant bleed;
- ``workers``: a job queue of the test's own on Redis, and a burst worker in a subprocess.

For deployment tests (imported from their modules, not from here):

- ``processes``: tenantry as separate production-like processes;
- ``daemons``: real nginx, HAProxy, PgBouncer, Redis, a PostgreSQL primary and standby;
- ``balancers``: ``deploy/``'s nginx and HAProxy configurations rendered for loopback;
- ``failover``: a write load through a balancer while a backend is killed.
"""

from tenantry.testing.apps import (
    PASSWORD,
    ROOT,
    app_like,
    build_app,
    dispose,
    forget_cached,
    reset_database,
    settings_for_test,
)
from tenantry.testing.clients import (
    STRATEGY_SETTINGS,
    HostClient,
    assert_isolated,
    client_for,
    client_via,
    csrf_token,
    do_login,
    host_of,
)
from tenantry.testing.load import (
    Client,
    JsonCollection,
    LoadReport,
    LoadTenant,
    mark_of,
    percentile,
    run_load,
)
from tenantry.testing.oidc_provider import OidcIssuer
from tenantry.testing.postgres import (
    ADMIN_URL,
    APP_ROLE,
    PLATFORM_ROLE,
    ScratchPostgres,
    postgres_unavailable,
    require_postgres,
)
from tenantry.testing.servers import free_port, serve_in_thread
from tenantry.testing.smtp import MailCatcher, Received
from tenantry.testing.workers import (
    REDIS_URL,
    JobQueue,
    job_queue,
    redis_unavailable,
    require_redis,
    run_worker,
    settings_env,
)

__all__ = [
    "ADMIN_URL",
    "APP_ROLE",
    "PASSWORD",
    "PLATFORM_ROLE",
    "REDIS_URL",
    "ROOT",
    "STRATEGY_SETTINGS",
    "Client",
    "HostClient",
    "JobQueue",
    "JsonCollection",
    "LoadReport",
    "LoadTenant",
    "MailCatcher",
    "OidcIssuer",
    "Received",
    "ScratchPostgres",
    "app_like",
    "assert_isolated",
    "build_app",
    "client_for",
    "client_via",
    "csrf_token",
    "dispose",
    "do_login",
    "forget_cached",
    "free_port",
    "host_of",
    "job_queue",
    "mark_of",
    "percentile",
    "postgres_unavailable",
    "redis_unavailable",
    "require_postgres",
    "require_redis",
    "reset_database",
    "run_load",
    "run_worker",
    "serve_in_thread",
    "settings_env",
    "settings_for_test",
]
