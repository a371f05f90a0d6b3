"""How a request names its tenant: strategies tried in the order ``tenant_resolvers`` lists.

A strategy reads the request and answers a ``TenantClaim`` (a slug, or a host to look
up as a subdomain or custom domain) or None when the request says nothing to it. The
gate looks every claim up in the same cache (``resolve.HostResolver``: a slug is looked
up as its subdomain), so a strategy costs no round trip of its own. Two claims that
name different tenants make the request ambiguous: 400 (``ConflictingClaims``). No
claim at all: the root host is the platform's, any other host has no site (404).

Built in:

- ``host``: ``<slug>.<root host>`` and the tenants' custom domains (the default);
- ``header``: the tenant's slug in a header (``tenant_header``, default ``X-Tenant``),
  believed only from a trusted proxy (``proxies``), for API gateways;
- ``path``: ``/t/<slug>/...``; ``PathPrefix`` (WSGI, before Flask routes) moves the prefix
  into ``SCRIPT_NAME``, so routes, ``url_for``, static files and redirects work under it,
  and scopes the cookies the app sets to it.

A deployment adds its own by import path: a callable taking the settings and returning
an object with ``resolve(request) -> TenantClaim | None`` (docs/extending.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any, Final, NamedTuple, Protocol

from flask import Request

from tenantry.proxies import FROM_PROXY_KEY
from tenantry.settings import Settings, named_object

#: In the WSGI environ: the slug ``PathPrefix`` took from the path.
PATH_SLUG_KEY: Final = "tenantry.path_slug"
PATH_PREFIX: Final = "/t/"


class TenantClaim(NamedTuple):
    """A request names a tenant: by ``slug``, or by ``host`` (a subdomain of the root host or
    a custom domain). ``source`` says where it was named, for the page shown when two
    strategies disagree ("the X-Tenant header"). A tuple: made on every request, cheaply."""

    source: str
    slug: str | None = None
    host: str | None = None


class TenantResolver(Protocol):
    """One way of telling which tenant a request is for."""

    def resolve(self, request: Request) -> TenantClaim | None:
        """The tenant this request names, or None when it names none this way."""


class HostStrategy:
    """The Host header: the root host (the platform), a subdomain, or a custom domain."""

    def __init__(self, settings: Settings):
        del settings  # every host is looked up as it is

    def resolve(self, request: Request) -> TenantClaim:
        return TenantClaim("the Host header", host=request.host)


class HeaderStrategy:
    """A header naming the tenant's slug, believed only when a trusted proxy sent it."""

    def __init__(self, settings: Settings):
        self.header = settings.tenant_header
        self.source = f"the {self.header} header"

    def resolve(self, request: Request) -> TenantClaim | None:
        slug = request.headers.get(self.header)
        if slug is None or not request.environ.get(FROM_PROXY_KEY):
            return None
        return TenantClaim(self.source, slug=slug)


class PathStrategy:
    """``/t/<slug>/``, as ``PathPrefix`` found it before routing."""

    def __init__(self, settings: Settings):
        del settings

    def resolve(self, request: Request) -> TenantClaim | None:
        slug = request.environ.get(PATH_SLUG_KEY)
        return TenantClaim("the path", slug=slug) if slug is not None else None


BUILT_IN: dict[str, Callable[[Settings], TenantResolver]] = {
    "host": HostStrategy,
    "header": HeaderStrategy,
    "path": PathStrategy,
}


def build(settings: Settings) -> tuple[TenantResolver, ...]:
    """The strategies ``tenant_resolvers`` names, in its order (its validator checked them)."""
    return tuple(
        (BUILT_IN.get(name) or named_object(name))(settings) for name in settings.tenant_resolvers
    )


#: Only what could be a slug is taken from the path (it goes into SCRIPT_NAME and cookie
#: paths); anything else under /t/ is left to the routes, which answer 404.
_SEGMENT = re.compile(r"^/t/([A-Za-z0-9-]{1,63})(/.*)?$", re.DOTALL)
_COOKIE_PATH = re.compile(r"(?i)(;\s*path=)/(?=;|$)")


class PathPrefix:
    """WSGI: ``/t/<slug>/rest`` becomes ``SCRIPT_NAME=/t/<slug>``, ``PATH_INFO=/rest``.

    Cookies the app sets for the whole site (``Path=/``) are set for ``/t/<slug>`` instead,
    so one tenant's sign-in is never sent to another's pages on the same host.
    ``/t/<slug>`` without the trailing slash redirects to it, as a directory would.
    """

    def __init__(self, app: Callable[..., Iterable[bytes]]):
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        match = _SEGMENT.match(environ.get("PATH_INFO", ""))
        if match is None:
            return self.app(environ, start_response)
        slug, rest = match.group(1), match.group(2)
        prefix = environ.get("SCRIPT_NAME", "") + PATH_PREFIX + slug
        if rest is None:
            query = environ.get("QUERY_STRING")
            location = prefix + "/" + (f"?{query}" if query else "")
            start_response("308 Permanent Redirect", [("Location", location)])
            return [b""]
        environ[PATH_SLUG_KEY] = slug
        environ["SCRIPT_NAME"] = prefix
        environ["PATH_INFO"] = rest

        def scoped(status: str, headers: list[tuple[str, str]], *exc_info: Any) -> Any:
            headers = [
                (name, _COOKIE_PATH.sub(rf"\g<1>{prefix}", value))
                if name.lower() == "set-cookie"
                else (name, value)
                for name, value in headers
            ]
            return start_response(status, headers, *exc_info)

        return self.app(environ, scoped)
