"""``tenantry cache``: drop cached entries of one namespace (tenant scope: --tenant, or every
tenant with --all-tenants), in every process that shares the cache."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from tenantry import cache
from tenantry.cli.feedback import friendly
from tenantry.db import db
from tenantry.tenancy import lifecycle
from tenantry.tenancy.context import all_tenants
from tenantry.tenancy.models import Tenant

group = AppGroup("cache", help="The tenant-keyed cache (tenant scope: --tenant).")


@group.command("invalidate")
@click.argument("namespace")
@click.option("--tenant", "slug", help="The tenant's slug.")
@click.option("--all-tenants", "everyone", is_flag=True, help="Every tenant's entries.")
@friendly
def cache_invalidate(namespace: str, slug: str | None, everyone: bool) -> None:
    """Drop NAMESPACE's entries (e.g. notes.html) for one tenant or for all."""
    if bool(slug) == everyone:
        raise click.ClickException("name one tenant (--tenant SLUG) or pass --all-tenants")
    tenants = (
        [lifecycle.find(db.session, slug)] if slug else db.session.scalars(select(Tenant)).all()
    )
    try:
        with all_tenants():
            for tenant in tenants:
                cache.invalidate(namespace, tenant=tenant)
        db.session.commit()  # the invalidation is repeated once the transaction ends
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    click.echo(
        f"{namespace!r} invalidated for {slug!r}"
        if slug
        else f"{namespace!r} invalidated for {len(tenants)} tenant(s)"
    )
