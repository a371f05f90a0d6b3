"""``tenantry tenants`` and ``tenantry domains``: platform scope, through tenancy.lifecycle."""

from __future__ import annotations

import sys
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select
from werkzeug.sansio.utils import host_is_trusted

from tenantry.auth.models import User
from tenantry.cli.feedback import friendly, print_table, settings
from tenantry.db import db
from tenantry.plugins.models import TenantPlugin
from tenantry.plugins.runtime import runtime
from tenantry.serve import site_url
from tenantry.tenancy import lifecycle
from tenantry.tenancy.context import all_tenants
from tenantry.tenancy.models import Tenant, TenantStatus

tenants = AppGroup("tenants", help="Create and manage tenants (platform scope).")
domains = AppGroup("domains", help="Custom domains of tenants (platform scope).")


@tenants.command("create")
@click.argument("slug")
@click.option("--name", help="Display name; defaults to the slug.")
@friendly
def tenants_create(slug: str, name: str | None) -> None:
    """Create an active tenant, reachable at SLUG.<root host>."""
    tenant = lifecycle.create(db.session, slug, name)
    db.session.commit()
    click.echo(f"created tenant {tenant.slug!r}: {site_url(settings(), tenant.slug)}")


@tenants.command("list")
@friendly
def tenants_list() -> None:
    """Every tenant with its status, domains, enabled plugins and number of users."""
    session = db.session
    with all_tenants():
        users = dict(
            session.execute(select(User.tenant_id, func.count()).group_by(User.tenant_id)).all()
        )
        plugins: dict[int, list[str]] = {}
        for tenant_id, plugin in session.execute(
            select(TenantPlugin.tenant_id, TenantPlugin.plugin).where(
                TenantPlugin.enabled.is_(True)
            )
        ):
            plugins.setdefault(tenant_id, []).append(plugin)
        rows = [
            (
                t.slug,
                t.name,
                t.status,
                ", ".join(d.hostname for d in t.domains) or "-",
                ", ".join(sorted(plugins.get(t.id, []))) or "-",
                str(users.get(t.id, 0)),
            )
            for t in session.scalars(select(Tenant).order_by(Tenant.slug))
        ]
    print_table(("SLUG", "NAME", "STATUS", "DOMAINS", "PLUGINS", "USERS"), rows)


@tenants.command("show")
@click.argument("slug")
@friendly
def tenants_show(slug: str) -> None:
    """One tenant in full: addresses, status, time zone, plugins and their settings, rows."""
    session = db.session
    tenant = lifecycle.find(session, slug)
    with all_tenants():
        enabled = session.scalars(
            select(TenantPlugin)
            .where(TenantPlugin.tenant_id == tenant.id, TenantPlugin.enabled.is_(True))
            .order_by(TenantPlugin.plugin)
        ).all()
    counts = lifecycle.row_counts(session, tenant)
    loaded = runtime().registry
    click.echo(f"{tenant.slug}: {tenant.name}")
    click.echo(f"  status:    {tenant.status}")
    click.echo(f"  address:   {site_url(settings(), tenant.slug)}")
    for domain in tenant.domains:
        click.echo(f"  domain:    {domain.hostname}")
    click.echo(f"  time zone: {tenant.timezone}")
    click.echo(f"  created:   {tenant.created_at:%Y-%m-%d %H:%M} UTC")
    click.echo("  plugins:" + ("" if enabled else "   none"))
    for row in enabled:
        state = "" if row.plugin in loaded else "  (not installed)"
        values = ", ".join(f"{k}={v!r}" for k, v in sorted(row.settings.items()))
        click.echo(f"    {row.plugin}{state}" + (f": {values}" if values else ""))
    click.echo("  rows:")
    for table, count in counts.items():
        click.echo(f"    {table}: {count}")


def _status_command(name: str, status: TenantStatus, done: str) -> None:
    @tenants.command(name, help=f"Mark a tenant {status}.")
    @click.argument("slug")
    @friendly
    def command(slug: str) -> None:
        tenant = lifecycle.find(db.session, slug)
        lifecycle.set_status(db.session, tenant, status)
        db.session.commit()
        click.echo(f"tenant {slug!r} {done}")


_status_command("suspend", TenantStatus.SUSPENDED, "suspended: its hosts answer 403")
_status_command("resume", TenantStatus.ACTIVE, "is active again")


@tenants.command("delete")
@click.argument("slug")
@click.option("--purge", is_flag=True, help="Also remove all its rows (asks you to type the slug).")
@friendly
def tenants_delete(slug: str, purge: bool) -> None:
    """Soft-delete a tenant: its hosts answer 404; data is kept unless --purge."""
    session = db.session
    tenant = lifecycle.find(session, slug)
    if purge:
        counts = lifecycle.row_counts(session, tenant)
        click.echo(f"this removes {sum(counts.values())} rows of {slug!r} for good:")
        for table, count in counts.items():
            if count:
                click.echo(f"  {table}: {count}")
        typed = click.prompt(f"type {slug} to confirm", default="", show_default=False)
        if typed != slug:
            raise click.ClickException("not confirmed; nothing was deleted")
    lifecycle.set_status(session, tenant, TenantStatus.DELETED)
    if purge:
        lifecycle.purge(session, tenant)
    session.commit()
    click.echo(f"tenant {slug!r} deleted" + (" and purged" if purge else " (data kept)"))


@tenants.command("export")
@click.argument("slug")
@click.option("--output", "-o", type=click.File("w"), default="-", help="File; default stdout.")
@friendly
def tenants_export(slug: str, output: Any) -> None:
    """Every tenant-scoped row of one tenant as JSON lines (secrets left out)."""
    tenant = lifecycle.find(db.session, slug)
    total = sum(lifecycle.row_counts(db.session, tenant).values())
    with click.progressbar(length=total, label=f"exporting {slug}", file=sys.stderr) as bar:
        for line in lifecycle.export(db.session, tenant):
            output.write(line + "\n")
            bar.update(1)


@domains.command("add")
@click.argument("hostname")
@click.option("--tenant", "slug", required=True, help="The tenant's slug.")
@friendly
def domains_add(hostname: str, slug: str) -> None:
    """Serve a tenant at a custom domain too."""
    tenant = lifecycle.find(db.session, slug)
    domain = lifecycle.add_domain(db.session, tenant, hostname, settings().root_host)
    db.session.commit()
    click.echo(f"{domain.hostname} now serves tenant {slug!r}")
    if not host_is_trusted(domain.hostname, current_app.config["TRUSTED_HOSTS"]):
        click.echo(
            f"note: add {domain.hostname!r} to the trusted_hosts setting, or requests to it get 400"
        )


@domains.command("remove")
@click.argument("hostname")
@click.option("--tenant", "slug", required=True, help="The tenant's slug.")
@friendly
def domains_remove(hostname: str, slug: str) -> None:
    """Stop serving a tenant at one of its custom domains."""
    domain = lifecycle.remove_domain(db.session, lifecycle.find(db.session, slug), hostname)
    db.session.commit()
    click.echo(f"{domain.hostname} removed from {slug!r}")
