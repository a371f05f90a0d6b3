"""The application factory."""

from __future__ import annotations

import logging

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from tenantry import cli, errors, health, requestlog, views
from tenantry.db import db
from tenantry.migrate import alembic_config, expected_heads
from tenantry.plugins.registry import PluginRegistry, check_strict, discover
from tenantry.plugins.runtime import PluginRuntime
from tenantry.settings import Settings, load_settings
from tenantry.tenancy import web as tenancy_web
from tenantry.tenancy.resolve import HostResolver

log = logging.getLogger(__name__)


def load_models(settings: Settings) -> PluginRegistry:
    """Import the core models and discover plugins, so Base.metadata holds every table."""
    import tenantry.auth.models
    import tenantry.plugins.models
    import tenantry.tenancy.models  # noqa: F401

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
        TEMPLATES_AUTO_RELOAD=settings.env == "development",
    )
    app.extensions["tenantry.settings"] = settings
    if settings.trusted_proxies:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app,
            x_for=settings.trusted_proxies,
            x_proto=settings.trusted_proxies,
            x_host=settings.trusted_proxies,
        )

    registry = load_models(settings)
    engine = db.init_app(app, settings.database_url)
    app.extensions["tenantry.heads"] = expected_heads(alembic_config(settings, registry))

    requestlog.init_app(app)
    tenancy_web.init_app(app, HostResolver(engine, settings.root_host, settings.resolve_cache_ttl))
    errors.init_app(app)
    health.init_app(app)

    from tenantry import security
    from tenantry.admin import init_admin
    from tenantry.auth import init_auth

    security.init_app(app, settings)
    init_auth(app, settings)
    PluginRuntime(registry).mount(app)
    views.init_app(app)
    init_admin(app, registry)
    cli.register(app)
    return app
