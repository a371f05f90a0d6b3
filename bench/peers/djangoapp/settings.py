"""Settings of the Django peers, from the environment ``bench.peers`` gives each process.

Production-like and lean, as a competent engineer would deploy a JSON page:
``DEBUG`` off, persistent connections (``CONN_MAX_AGE``; Django's default of 0 would
open a connection per request), no middleware but django-tenants' own, no
sessions, auth or templates (the page needs none of them; neither does the bare
Flask twin).
"""

from __future__ import annotations

import os

MODE = os.environ.get("PEERS_MODE", "bare")
TENANTS = MODE == "tenants"

SECRET_KEY = "bench-only: nothing is signed"
DEBUG = False
ALLOWED_HOSTS = [".localhost", "127.0.0.1"]
ROOT_URLCONF = "bench.peers.djangoapp.urls"
USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

DATABASES = {
    "default": {
        "ENGINE": (
            "django_tenants.postgresql_backend" if TENANTS else "django.db.backends.postgresql"
        ),
        "NAME": os.environ.get("PEERS_DB_NAME", "postgres"),
        "USER": os.environ.get("PEERS_DB_USER", "postgres"),
        "HOST": os.environ.get("PEERS_DB_HOST", "127.0.0.1"),
        "PORT": os.environ.get("PEERS_DB_PORT", "5432"),
        "CONN_MAX_AGE": None,
    }
}

PUBLICNOTES = "bench.peers.djangoapp.publicnotes"
CUSTOMERS = "bench.peers.djangoapp.customers"

if TENANTS:
    # django-tenants' backend imports ContentType; the page never reads it.
    SHARED_APPS = ["django_tenants", "django.contrib.contenttypes", CUSTOMERS]
    TENANT_APPS = [PUBLICNOTES]
    INSTALLED_APPS = [*SHARED_APPS, *TENANT_APPS]
    TENANT_MODEL = "customers.Client"
    TENANT_DOMAIN_MODEL = "customers.Domain"
    DATABASE_ROUTERS = ("django_tenants.routers.TenantSyncRouter",)
    MIDDLEWARE = ["django_tenants.middleware.main.TenantMainMiddleware"]
    # /healthz on 127.0.0.1 (no tenant there) is how the bench knows the server is up.
    SHOW_PUBLIC_IF_NO_TENANT_FOUND = True
else:
    INSTALLED_APPS = [PUBLICNOTES]
    MIDDLEWARE = []
