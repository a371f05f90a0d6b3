"""The application factory: settings in, a wired Flask app out.

Every request hook is registered here, in the order it runs, so one read of
``_request_hooks`` tells what each request goes through.
"""

from __future__ import annotations

import logging

from flask import Flask

from tenantry import error_pages, requestlog, security, views
from tenantry.admin.sites import init_admin, open_platform_scope
from tenantry.auth import init_auth
from tenantry.auth.models import ApiToken, Operator, User
from tenantry.auth.throttle import EXTENSION as THROTTLE
from tenantry.db import db
from tenantry.engines import make_engines
from tenantry.health import Probes, Readiness
from tenantry.migrate import SchemaCheck, alembic_config
from tenantry.plugins.models import TenantPlugin
from tenantry.plugins.registry import PluginRegistry, check_strict, discover
from tenantry.plugins.runtime import PluginRuntime
from tenantry.proxies import ForwardedHeaders
from tenantry.replicas import ReplicaSet, routed
from tenantry.settings import Settings, load_settings
from tenantry.tenancy import gate
from tenantry.tenancy.context import current_tenant
from tenantry.tenancy.models import Domain, Tenant
from tenantry.tenancy.resolve import HostResolver
from tenantry.tenancy.scoping import TenantSession

log = logging.getLogger(__name__)
#: The core's mapped classes; with the loaded plugins' they make up Base.metadata.
CORE_MODELS = (Tenant, Domain, TenantPlugin, User, Operator, ApiToken)


def load_models(settings: Settings) -> PluginRegistry:
    """Discover plugins, so Base.metadata holds every table: the core's and theirs."""
    registry = discover(settings.plugins)
    for refusal in registry.refused.values():
        log.warning("plugin %s refused: %s", refusal.name, refusal.reason)
    if settings.strict_plugins:
        check_strict(registry)
    return registry


def trusted_hosts(root: str) -> list[str]:
    """The root host and its subdomains, with and without the DNS trailing dot."""
    return [root, f".{root}", f"{root}.", f".{root}."]


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or load_settings()
    requestlog.configure_logging(settings)
    app = Flask("tenantry", instance_path=str(settings.instance_path.resolve()))
    app.config.update(
        SECRET_KEY=settings.secret_key.get_secret_value(),
        TRUSTED_HOSTS=settings.trusted_hosts or trusted_hosts(settings.root_host),
        SESSION_COOKIE_NAME="tenantry_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        MAX_CONTENT_LENGTH=4 * 1024 * 1024,
        WTF_CSRF_TIME_LIMIT=None,
        WTF_CSRF_CHECK_DEFAULT=False,  # security.protect_forms decides, see there
        TEMPLATES_AUTO_RELOAD=settings.env == "development",
    )
    app.extensions["tenantry.settings"] = settings

    registry = load_models(settings)
    engines = make_engines(settings)
    replicas = None
    session_class: type = TenantSession
    if engines.replicas:
        replicas = ReplicaSet(engines.primary, engines.replicas, settings.replica_max_lag_s)
        session_class = routed(TenantSession, replicas)
    app.extensions["tenantry.replicas"] = replicas
    engine = db.init_app(app, engines.primary, session_class)
    schema = SchemaCheck(alembic_config(settings, registry))
    app.extensions["tenantry.schema"] = schema
    gate.install(app, HostResolver(engine, settings.root_host, settings.resolve_cache_ttl))
    app.jinja_env.globals["current_tenant"] = current_tenant

    error_pages.init_app(app)
    security.init_app(app)
    init_auth(app, settings)
    runtime = PluginRuntime(registry)
    runtime.mount(app)
    views.init_app(app)
    init_admin(app, registry)
    _request_hooks(app, settings, runtime)

    readiness = Readiness(
        engine, schema, replicas, app.extensions[THROTTLE].shared_storage_reachable
    )
    _middleware(app, settings, readiness)
    return app


def _middleware(app: Flask, settings: Settings, readiness: Readiness) -> None:
    """What runs around Flask, outermost first: who the client is (trusted proxies), the
    request's id, then the probes, answered before any Host check."""
    app.wsgi_app = ForwardedHeaders(  # type: ignore[method-assign]
        requestlog.RequestIds(
            Probes(
                app.wsgi_app,
                readiness,
                settings.root_host,
                [("Content-Security-Policy", security.CSP), *security.static_headers(settings)],
            )
        ),
        settings.trusted_proxies,
        settings.trusted_proxy_addresses,
    )


def _request_hooks(app: Flask, settings: Settings, runtime: PluginRuntime) -> None:
    """Every hook a request passes through, in order (tests/test_app.py holds it to this)."""
    for hook in (
        requestlog.start_timer,  # time the whole request
        gate.enter_tenant,  # Host -> tenant: 400, 403 and 404 are decided here
        security.refuse_nul_characters,  # before any view can store one
        security.protect_forms,  # CSRF on every unsafe browser request
        open_platform_scope,  # the platform admin works across tenants, on purpose
        runtime.gate,  # a plugin's routes exist only where it is enabled
    ):
        app.before_request(hook)
    # after_request hooks run last-registered first: headers go on before the log line.
    app.after_request(requestlog.log_request)
    app.after_request(security.response_headers(settings))
    app.teardown_request(gate.leave_tenant)
