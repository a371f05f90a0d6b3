"""``tenantry users`` (tenant scope: --tenant) and ``tenantry operators`` (platform scope)."""

from __future__ import annotations

from datetime import datetime

import click
from flask.cli import AppGroup
from sqlalchemy import select

from tenantry.auth import accounts
from tenantry.auth.models import Operator, Role, User
from tenantry.cli.feedback import friendly, print_table, read_password
from tenantry.db import db
from tenantry.links import site_url
from tenantry.tenancy import lifecycle
from tenantry.tenancy.context import tenant_context

users = AppGroup("users", help="Accounts of a tenant (tenant scope: --tenant).")
operators = AppGroup("operators", help="Platform operators (platform scope).")


@users.command("create")
@click.argument("email")
@click.option("--tenant", "slug", required=True, help="The tenant's slug.")
@click.option(
    "--role",
    type=click.Choice([role.value for role in Role]),
    default=Role.MEMBER.value,
    show_default=True,
    help="An admin also runs the tenant's own admin (/manage).",
)
@friendly
def users_create(email: str, slug: str, role: str) -> None:
    """Create a user; the password comes from a prompt or stdin."""
    tenant = lifecycle.find(db.session, slug)
    user = accounts.create_user(db.session, tenant, email, read_password(), role)
    db.session.commit()
    click.echo(f"created {role} {user.email} in {slug!r}")


@users.command("list")
@click.option("--tenant", "slug", required=True, help="The tenant's slug.")
@friendly
def users_list(slug: str) -> None:
    """The accounts of one tenant: email, name, role, whether active, when created."""
    tenant = lifecycle.find(db.session, slug)
    with tenant_context(tenant):
        found = db.session.scalars(select(User).order_by(User.email)).all()
        rows = [
            (u.email, u.name, u.role, "yes" if u.active else "no", _day(u.created_at))
            for u in found
        ]
    print_table(("EMAIL", "NAME", "ROLE", "ACTIVE", "CREATED"), rows)


@users.command("set-password")
@click.argument("email")
@click.option("--tenant", "slug", required=True, help="The tenant's slug.")
@friendly
def users_set_password(email: str, slug: str) -> None:
    """Give a user a new password, from a prompt or stdin."""
    tenant = lifecycle.find(db.session, slug)
    accounts.set_user_password(db.session, tenant, email, read_password())
    db.session.commit()
    click.echo(f"password of {email} in {slug!r} changed")


@operators.command("list")
@friendly
def operators_list() -> None:
    """The platform's operators: email, whether active, when created."""
    found = db.session.scalars(select(Operator).order_by(Operator.email)).all()
    rows = [(o.email, "yes" if o.active else "no", _day(o.created_at)) for o in found]
    print_table(("EMAIL", "ACTIVE", "CREATED"), rows)


def _day(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


@operators.command("create")
@click.argument("email")
@friendly
def operators_create(email: str) -> None:
    """Create an operator of the platform admin; the password comes from a prompt or stdin."""
    operator = accounts.create_operator(db.session, email, read_password())
    db.session.commit()
    click.echo(f"created operator {operator.email}; log in at {site_url(None, 'auth.login')}")
