"""Serving with waitress: the production entry (run.py, `tenantry serve`)."""

from __future__ import annotations

from flask import Flask
from waitress.server import create_server

from tenantry.settings import Settings


class ServeError(Exception):
    """The server could not start; the message says what to change."""


def _address(settings: Settings, slug: str | None = None) -> str:
    """The address of the platform (or of tenant ``slug``) as a browser reaches it."""
    scheme = "https" if settings.secure_cookies else "http"
    host = f"{slug}.{settings.server_name}" if slug else settings.server_name
    return f"{scheme}://{host}/"


def banner(settings: Settings) -> list[str]:
    """What the server prints on start: where it listens, and URLs that answer there.

    The socket address itself is not a URL to open: the app answers only its root
    host and the tenants' hosts (others get 400), so only those are printed as links.
    """
    root = _address(settings)
    lines = [
        f"Tenantry ({settings.env}) listening on {settings.host}:{settings.port}",
        f"  platform:       {root}",
        f"  platform admin: {root}admin/",
        f"  a tenant:       {_address(settings, '<slug>')}",
    ]
    if settings.env == "development":
        lines.append(f"  the demo:       {_address(settings, 'demo')}  (after `tenantry demo`)")
    if settings.jobs_url:
        lines.append(f"  jobs:           queue {settings.jobs_queue!r}; run `tenantry worker`")
    else:
        lines.append(
            "  jobs:           run here, right after each commit (no worker: set "
            "TENANTRY_JOBS_URL and run `tenantry worker` to move them out)"
        )
    return lines


def serve(app: Flask, settings: Settings) -> None:
    try:
        server = create_server(
            app,
            host=settings.host,
            port=settings.port,
            threads=settings.threads,
            ident="tenantry",
            clear_untrusted_proxy_headers=True,
        )
    except OSError as error:
        raise ServeError(
            f"cannot listen on {settings.host}:{settings.port}: {error.strerror}; "
            "stop what uses it or set TENANTRY_PORT"
        ) from None
    for line in banner(settings):
        print(line, flush=True)
    server.run()
