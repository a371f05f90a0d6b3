"""The core's tests use the fixtures that tenantry ships to plugin authors (tenantry.testing).

``HYPOTHESIS_PROFILE=ci`` (set by .ci/run) derandomizes every property-based test, so a
failure in CI replays anywhere with the same code.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest
from flask import Flask
from hypothesis import settings

from tenantry.testing import LoadTenant, mark_of

settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def seed_load_tenants(app: Flask, count: int, notes: int = 5, prefix: str = "loadtest") -> list:
    """``count`` tenants with notes on, each with an admin, an API token and ``notes`` notes
    marked with its slug: what ``run_load`` drives. Through the services and the ORM."""
    from sqlalchemy import select

    from tenantry import db, tenant_context
    from tenantry.auth import accounts
    from tenantry.auth.models import ApiToken, User
    from tenantry.plugins import enablement
    from tenantry.plugins.runtime import runtime
    from tenantry.tenancy import lifecycle
    from tenantry_notes.models import Note

    made = []
    with app.app_context():
        for i in range(count):
            tenant = lifecycle.create(db.session, f"{prefix}{i}")
            enablement.enable(db.session, runtime().registry, tenant, "notes")
            accounts.create_user(
                db.session, tenant, f"admin@{tenant.slug}.test", "correct-horse-battery", "admin"
            )
            db.session.commit()
            with tenant_context(tenant):
                user = db.session.scalar(select(User))
                rows = [
                    Note(title=f"{mark_of(tenant.slug)} note {n}", author=user)
                    for n in range(notes)
                ]
                token, secret = ApiToken.issue(user, "load")
                db.session.add_all([*rows, token])
                db.session.commit()
                made.append(LoadTenant(tenant.slug, secret, tuple(note.id for note in rows)))
    return made


@pytest.fixture
def load_tenants() -> Callable[..., list]:
    """``load_tenants(app, 6)``: see ``seed_load_tenants``."""
    return seed_load_tenants
