"""The application factory: settings in, a wired Flask app out.

Every request hook is registered here, in the order it runs, so one read of
``_request_hooks`` tells what each request goes through.
"""

from __future__ import annotations

import logging

from flask import Flask

from tenantry import (
    auditlog,
    cache,
    error_pages,
    errorreports,
    i18n,
    inputs,
    instrument,
    jobs,
    mail,
    request_signals,
    requestlog,
    security,
    views,
)
from tenantry.admin.sites import init_admin, open_platform_scope
from tenantry.auth import init_auth
from tenantry.auth.models import (
    ApiToken,
    Invitation,
    OidcProvider,
    Operator,
    OperatorInvitation,
    OperatorSession,
    User,
    UserSession,
)
from tenantry.auth.throttle import EXTENSION as THROTTLE
from tenantry.db import UnusableDatabase, db
from tenantry.engines import make_engines
from tenantry.health import Probes, Readiness
from tenantry.hostheader import HostHeader
from tenantry.migrate import SchemaCheck, alembic_config
from tenantry.operations import TenantOperation
from tenantry.plugins.models import TenantPlugin
from tenantry.plugins.registry import PluginLoadError, PluginRegistry, check_strict, discover
from tenantry.plugins.runtime import PluginRuntime
from tenantry.proxies import ForwardedHeaders
from tenantry.replicas import ReplicaSet, hand_lsn_to_client, routed
from tenantry.settings import Settings, SettingsError, load_settings
from tenantry.tenancy import connections, gate, strategies, timezones
from tenantry.tenancy.context import current_tenant
from tenantry.tenancy.models import Domain, Tenant
from tenantry.tenancy.resolve import HostResolver
from tenantry.tenancy.scoping import TenantSession
from tenantry.usage import UsageDay, UsageUser

log = logging.getLogger(__name__)
#: The core's mapped classes; with the loaded plugins' they make up Base.metadata.
CORE_MODELS = (
    Tenant,
    Domain,
    TenantPlugin,
    User,
    Operator,
    ApiToken,
    UserSession,
    OperatorSession,
    Invitation,
    OperatorInvitation,
    OidcProvider,
    auditlog.AuditEntry,
    auditlog.PlatformAuditEntry,
    TenantOperation,
    UsageDay,
    UsageUser,
)
#: What ``load_settings`` and ``create_app`` raise for the person starting the app: entry
#: points (run.py, the CLI) print the message without a traceback and exit 2.
STARTUP_ERRORS = (SettingsError, PluginLoadError, UnusableDatabase)


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
    classes = settings.core_classes()  # a deployment's own subclasses of Flask's classes
    app_class: type[Flask] = classes.get("app_class", Flask)
    app = app_class("tenantry", instance_path=str(settings.instance_path.resolve()))
    if "request_class" in classes:
        app.request_class = classes["request_class"]
    if "response_class" in classes:
        app.response_class = classes["response_class"]
    app.config.update(
        SECRET_KEY=settings.secret_key.get_secret_value(),
        TRUSTED_HOSTS=settings.trusted_hosts or trusted_hosts(settings.root_host),
        SESSION_COOKIE_NAME=security.SESSION_COOKIE,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        MAX_CONTENT_LENGTH=4 * 1024 * 1024,
        WTF_CSRF_TIME_LIMIT=None,
        WTF_CSRF_CHECK_DEFAULT=False,  # security.protect_forms decides, see there
        TEMPLATES_AUTO_RELOAD=settings.env == "development",
        # Links in mail and between sites are absolute; TLS is what secure cookies imply.
        PREFERRED_URL_SCHEME="https" if settings.secure_cookies else "http",
    )
    app.extensions["tenantry.settings"] = settings
    inputs.init_app(app)  # before any route: every <int:id> reads within a key's range

    registry = load_models(settings)
    engines = make_engines(settings)
    replicas = None
    session_class: type = TenantSession
    if engines.replicas or engines.reader:
        reads = ReplicaSet(
            engines.primary, engines.replicas, settings.replica_max_lag_s, engines.reader
        )
        session_class = routed(TenantSession, reads)
        replicas = reads if engines.replicas else None
    app.extensions["tenantry.replicas"] = replicas
    engine = db.init_app(app, engines.primary, session_class, engines.platform)
    connections.install_all(engines)
    instrument.init_app(
        app, settings, [engines.primary, engines.platform, *engines.replicas], engines.platform
    )
    if problem := settings.shared_role_problem():
        log.warning("%s", problem)
    schema = SchemaCheck(alembic_config(settings, registry))
    app.extensions["tenantry.schema"] = schema
    gate.install(
        app,
        HostResolver(engine, settings.root_host, settings.resolve_cache_ttl),
        strategies.build(settings),
    )
    app.jinja_env.globals["current_tenant"] = current_tenant
    app.jinja_env.filters["when"] = timezones.when
    cache.init_app(app, settings)
    jobs.init_app(app, settings)

    error_pages.init_app(app)
    security.init_app(app)
    mail.init_app(app, settings)
    auditlog.init_app()
    init_auth(app, settings)
    runtime = PluginRuntime(registry)
    runtime.mount(app)
    i18n.init_app(
        app, (entry.plugin.translations for entry in registry if entry.plugin.translations)
    )
    errorreports.init(settings, frozenset(entry.name for entry in registry))
    views.init_app(app)
    init_admin(app, registry)
    _request_hooks(app, settings, runtime, replicas)
    request_signals.relay_sign_ins()

    readiness = Readiness(
        engine, schema, replicas, app.extensions[THROTTLE].shared_storage_reachable
    )
    _middleware(app, settings, readiness)
    return app


def _middleware(app: Flask, settings: Settings, readiness: Readiness) -> None:
    """What runs around Flask, outermost first: who the client is (trusted proxies), which
    host it asked for (lower case; an absolute request target wins over Host), the
    request's id, the probes, answered before any Host check, then the request's metrics
    (so probes are not counted); with the path strategy, last, ``/t/<slug>`` moved from the
    path into SCRIPT_NAME, before Flask routes."""
    if "path" in settings.tenant_resolvers:
        app.wsgi_app = strategies.PathPrefix(app.wsgi_app)  # type: ignore[method-assign]
    app.wsgi_app = ForwardedHeaders(  # type: ignore[method-assign]
        HostHeader(
            requestlog.RequestIds(
                Probes(
                    instrument.wrap(app.wsgi_app, app),
                    readiness,
                    settings.root_host,
                    [
                        ("Content-Security-Policy", security.CSP),
                        *security.static_headers(settings),
                    ],
                )
            )
        ),
        settings.trusted_proxies,
        settings.trusted_proxy_addresses,
    )


def _request_hooks(
    app: Flask, settings: Settings, runtime: PluginRuntime, replicas: ReplicaSet | None
) -> None:
    """Every hook a request passes through, in order (tests/test_app.py holds it to this)."""
    for hook in (
        requestlog.start_timer,  # time the whole request
        gate.enter_tenant,  # Host -> tenant: 400, 403 and 404 are decided here
        security.refuse_nul_characters,  # before any view can store one
        security.protect_forms,  # CSRF on every unsafe browser request
        open_platform_scope,  # the platform admin works across tenants, on purpose
        runtime.gate,  # a plugin's routes exist only where it is enabled
        request_signals.announce_start,  # signals.request_started, when anything listens
    ):
        app.before_request(hook)
    # after_request hooks run last-registered first: headers go on before request_finished
    # is sent (its receivers see them), and before the log line.
    app.after_request(requestlog.log_request)
    if instrument.instrument_of(app) is not None:
        app.after_request(instrument.note_request)
    app.after_request(request_signals.announce_finish)
    app.after_request(security.response_headers(settings))
    if replicas is not None:  # a client that wrote reads its writes from the next request on
        app.after_request(hand_lsn_to_client(replicas, settings.secure_cookies))
    app.teardown_request(gate.leave_tenant)
