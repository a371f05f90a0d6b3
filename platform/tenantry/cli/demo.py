"""``tenantry demo``: an idempotent demo site (development only)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from tenantry import signals
from tenantry.auth import accounts
from tenantry.auth.models import Operator, User
from tenantry.cli.feedback import friendly, registry, settings
from tenantry.db import db
from tenantry.links import site_url
from tenantry.plugins import enablement
from tenantry.tenancy import lifecycle
from tenantry.tenancy.context import tenant_context
from tenantry.tenancy.models import Tenant

#: Fixed, printed passwords: the demo is for a laptop, and refuses to run in production.
DEMO_ACCOUNTS = (
    ("admin@demo.test", "demo-admin-pass", "admin"),
    ("member@demo.test", "demo-member-pass", "member"),
)
OPERATOR = ("operator@tenantry.test", "operator-pass")


@click.command("demo")
@with_appcontext
@friendly
def demo_command() -> None:
    """Create the demo tenant, its users and an operator, once (development only).

    Plugins are enabled when the demo tenant is first created; later runs leave the
    operators' choices alone and only add what is missing.
    """
    if settings().env == "production":
        raise click.ClickException("the demo has well-known passwords; it never runs in production")
    session = db.session
    tenant = session.scalar(select(Tenant).where(Tenant.slug == "demo"))
    if tenant is None:
        tenant = lifecycle.create(session, "demo", "Demo Company")
        for name in registry().loaded:
            enablement.enable(session, registry(), tenant, name)
    with tenant_context(tenant):
        for email, password, role in DEMO_ACCOUNTS:
            if session.scalar(select(User.id).where(User.email == email)) is None:
                accounts.create_user(session, tenant, email, password, role)
    if session.scalar(select(Operator.id).where(Operator.email == OPERATOR[0])) is None:
        accounts.create_operator(session, *OPERATOR)
    session.commit()
    with tenant_context(tenant):
        signals.demo_seeded.send(tenant)  # plugins add their sample data, each only once
        session.commit()
    click.echo(f"demo tenant:    {site_url(tenant)}")
    for email, password, role in DEMO_ACCOUNTS:
        click.echo(f"  {role:<7} {email} / {password}")
    click.echo(f"platform admin: {site_url(None)}admin/  ({OPERATOR[0]} / {OPERATOR[1]})")
