"""Notes: the reference plugin. Copy this folder to start your own.

Shows every part of the contract: a blueprint with pages and a JSON API, a
TenantScoped model with a composite foreign key to the tenant's users, a
migration branch (found by convention in ``migrations/versions``), per-tenant
settings, navigation, a dashboard slot, signals for other plugins, and admin
views for both admins, named by import path so that importing this package
does not import Flask-Admin.
"""

from __future__ import annotations

from importlib.metadata import version

from flask import render_template
from flask_login import current_user
from sqlalchemy import select

from tenantry import NavItem, Plugin, Slot, User, cache, db
from tenantry import lazy_gettext as _l
from tenantry.signals import demo_seeded
from tenantry_notes import service
from tenantry_notes.api import api
from tenantry_notes.models import Note
from tenantry_notes.settings import NotesSettings
from tenantry_notes.views import bp

bp.register_blueprint(api, url_prefix="/api")
#: Seconds a dashboard fragment is kept at most (writes drop it sooner).
DASHBOARD_TTL = 60


def recent_notes() -> str:
    if current_user.user is None:
        return ""
    # The same for every user of the tenant: cached per tenant revision, dropped by writes.
    return cache.get_or_set(
        service.DASHBOARD_CACHE, "recent", DASHBOARD_TTL, _render_recent, per_revision=True
    )


def _render_recent() -> str:
    notes = db.session.scalars(select(Note).order_by(Note.updated_at.desc()).limit(5)).all()
    return render_template("notes/_recent.html", notes=notes)


def seed_demo(_tenant: object) -> None:
    if db.session.scalar(select(Note.id).limit(1)) is not None:
        return
    author = db.session.scalar(select(User).where(User.role == "admin").limit(1))
    samples = [
        (
            "Welcome to Tenantry",
            "This is **your** tenant. Everything here is visible to your "
            "team only.\n\n- Notes support *Markdown*\n- Tag them\n- Search them",
            "welcome",
        ),
        (
            "Meeting notes",
            "## Agenda\n1. Roadmap\n2. Hiring\n\n> Ship small, ship often.",
            "meetings,team",
        ),
        (
            "API",
            "Create a token under *API tokens*, then send it as a bearer token:\n\n"
            "    curl -H 'Authorization: Bearer TOKEN' https://<your site>/notes/api/notes",
            "dev",
        ),
    ]
    for title, body, tags in samples:
        db.session.add(Note(title=title, body=body, tags=tags, author=author))


plugin = Plugin(
    name="notes",
    title="Notes",
    description="Markdown notes with tags, search and a JSON API.",
    requires=["tenantry>=0.2,<1"],
    blueprint=bp,
    settings=NotesSettings,
    nav=[NavItem(_l("Notes"), "notes.index")],
    slots={"tenant_dashboard": Slot(recent_notes, order=10)},
    receivers=[(demo_seeded, seed_demo)],
    tenant_admin_views="tenantry_notes.admin:tenant_views",
    platform_admin_views="tenantry_notes.admin:platform_views",
)
__version__ = version("tenantry-notes")
