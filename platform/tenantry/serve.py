"""Serving with waitress: the production entry (run.py, `tenantry serve`)."""

from __future__ import annotations

from flask import Flask
from waitress.server import create_server

from tenantry.settings import Settings


class ServeError(Exception):
    """The server could not start; the message says what to change."""


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
    root = settings.server_name
    print(f"Tenantry ({settings.env}) on http://{settings.host}:{settings.port}", flush=True)
    print(f"  platform:       http://{root}/", flush=True)
    print(f"  platform admin: http://{root}/admin/", flush=True)
    print(f"  a tenant:       http://<slug>.{root}/  (demo: http://demo.{root}/)", flush=True)
    if settings.jobs_url:
        print(f"  jobs:           queue {settings.jobs_queue!r}; run `tenantry worker`", flush=True)
    else:
        print(
            "  jobs:           run here, right after each commit (no worker: set "
            "TENANTRY_JOBS_URL and run `tenantry worker` to move them out)",
            flush=True,
        )
    server.run()
