"""Serving with waitress: the production entry (run.py, `tenantry serve`)."""

from __future__ import annotations

from flask import Flask
from waitress import serve as waitress_serve

from tenantry.settings import Settings


def serve(app: Flask, settings: Settings) -> None:
    root = settings.server_name
    print(f"Tenantry ({settings.env}) on http://{settings.host}:{settings.port}", flush=True)
    print(f"  platform:       http://{root}/", flush=True)
    print(f"  platform admin: http://{root}/admin/", flush=True)
    print(f"  a tenant:       http://<slug>.{root}/  (demo: http://demo.{root}/)", flush=True)
    waitress_serve(
        app,
        host=settings.host,
        port=settings.port,
        threads=settings.threads,
        ident="tenantry",
        clear_untrusted_proxy_headers=True,
    )
