"""``tenantry users`` (tenant scope: --tenant) and ``tenantry operators`` (platform scope)."""

from __future__ import annotations

import click

from tenantry.auth import accounts
from tenantry.auth.models import Role
from tenantry.cli.feedback import friendly, read_password, settings
from tenantry.db import db
from tenantry.tenancy import lifecycle

users = click.Group("users", help="Accounts of a tenant (tenant scope: --tenant).")
operators = click.Group("operators", help="Platform operators (platform scope).")


@users.command("create")
@click.argument("email")
@click.option("--tenant", "slug", required=True, help="The tenant's slug.")
@click.option(
    "--role",
    type=click.Choice([role.value for role in Role]),
    default=Role.MEMBER.value,
    show_default=True,
)
@friendly
def users_create(email: str, slug: str, role: str) -> None:
    """Create a user; the password comes from a prompt or stdin."""
    tenant = lifecycle.find(db.session, slug)
    user = accounts.create_user(db.session, tenant, email, read_password(), role)
    db.session.commit()
    click.echo(f"created {role} {user.email} in {slug!r}")


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


@operators.command("create")
@click.argument("email")
@friendly
def operators_create(email: str) -> None:
    """Create an operator of the platform admin; the password comes from a prompt or stdin."""
    operator = accounts.create_operator(db.session, email, read_password())
    db.session.commit()
    click.echo(
        f"created operator {operator.email}; log in at http://{settings().server_name}/login"
    )
