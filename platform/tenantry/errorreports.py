"""Error reports to Sentry: optional (the ``sentry`` extra), off unless ``sentry_dsn`` is set.

Each event is tagged with the tenant (slug, or ``platform``), the plugin whose route
raised (when a plugin's blueprint served the request) and the request id, so a report
joins up with the log lines and the slow-request list. Personal data stays home:
sentry-sdk sends no user, client address or cookies by default; request bodies and
the stack frames' local variables are never sent; the user, cookies, query string and
the headers that carry credentials are removed before an event leaves the process.

Scope: an event names one tenant (the request's); the Sentry project is the
platform's, seen by operators only.
"""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request

from tenantry.requestlog import current_request_id
from tenantry.settings import Settings, SettingsError
from tenantry.tenancy.context import get_tenant

#: Request headers never sent: they carry credentials or identify a person.
SECRET_HEADERS = frozenset({"authorization", "cookie", "x-forwarded-for", "x-real-ip"})


def init(settings: Settings, plugins: frozenset[str], transport: Any = None) -> bool:
    """Start reporting when ``sentry_dsn`` is set; True when it did. ``transport`` is for
    tests (sentry-sdk's Transport), None sends to the DSN."""
    if settings.sentry_dsn is None:
        return False
    try:
        import sentry_sdk
        from sentry_sdk.integrations.flask import FlaskIntegration
    except ImportError:
        raise SettingsError(
            "invalid settings:\n  sentry_dsn is set but sentry-sdk is not installed: "
            "pip install 'tenantry[sentry]', or unset sentry_dsn"
        ) from None

    def before_send(event: dict[str, Any], _hint: dict[str, Any]) -> dict[str, Any]:
        return scrub(tag(event, plugins))

    sentry_sdk.init(
        dsn=settings.sentry_dsn.get_secret_value(),
        environment=settings.env,
        max_request_body_size="never",
        include_local_variables=False,  # a frame's locals may hold a password or a token
        integrations=[FlaskIntegration()],
        before_send=before_send,
        transport=transport,
    )
    return True


def tag(event: dict[str, Any], plugins: frozenset[str]) -> dict[str, Any]:
    """Add the tenant, the plugin and the request id as tags."""
    tags = event.setdefault("tags", {})
    tenant = get_tenant()
    tags["tenant"] = tenant.slug if tenant is not None else "platform"
    tags["request_id"] = current_request_id()
    if has_request_context() and request.blueprint in plugins:
        tags["plugin"] = request.blueprint
    return event


def scrub(event: dict[str, Any]) -> dict[str, Any]:
    """Remove what could identify a person or open an account."""
    event.pop("user", None)
    details = event.get("request")
    if isinstance(details, dict):
        for key in ("cookies", "data", "query_string", "env"):
            details.pop(key, None)
        headers = details.get("headers")
        if isinstance(headers, dict):
            details["headers"] = {
                k: v for k, v in headers.items() if k.lower() not in SECRET_HEADERS
            }
    return event
