"""django-tenants' two shared tables: a tenant (its schema) and the host names that reach it.

Created by ``bench.peers.djangoapp.seed`` with the schema editor, not migrations: the
bench creates a scratch database per run and needs no history.
"""

from __future__ import annotations

from django.db import models
from django_tenants.models import DomainMixin, TenantMixin


class Client(TenantMixin):
    name = models.CharField(max_length=100)
    # The seeder creates each schema and its table itself (much faster than migrating).
    auto_create_schema = False


class Domain(DomainMixin):
    pass
