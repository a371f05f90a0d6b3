"""``tenantry tenants`` and ``tenantry domains``: platform scope, through tenancy.lifecycle.

Deleting says what happens and asks for the slug to be typed (unless ``--yes``):
the sites close now; the data is purged at once or after ``--grace-days``
(``purge-due``, run daily by cron or a job, purges what is due); the slug is
free again after the purge.
"""

from __future__ import annotations

import sys
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select
from werkzeug.sansio.utils import host_is_trusted

from tenantry.auth import invitations
from tenantry.auth.models import Role, User
from tenantry.cli.feedback import commit, friendly, print_table, settings
from tenantry.db import db
from tenantry.links import site_url
from tenantry.plugins.models import TenantPlugin
from tenantry.plugins.runtime import runtime
from tenantry.tenancy import lifecycle
from tenantry.tenancy.context import all_tenants
from tenantry.tenancy.models import Tenant, TenantStatus

tenants = AppGroup("tenants", help="Create and manage tenants (platform scope).")
domains = AppGroup("domains", help="Custom domains of tenants (platform scope).")


@tenants.command("create")
@click.argument("slug")
@click.option("--name", help="Display name; defaults to the slug.")
@click.option("--admin", "admin_email", help="Invite this email to be its first admin.")
@friendly
def tenants_create(slug: str, name: str | None, admin_email: str | None) -> None:
    """Create an active tenant, reachable at SLUG.<root host>."""
    tenant = lifecycle.create(db.session, slug, name)
    if admin_email:
        invitations.invite(
            db.session,
            tenant,
            admin_email,
            Role.ADMIN,
            invited_by=f"the operators of {tenant.name}",
        )
    commit()
    click.echo(f"created tenant {tenant.slug!r}: {site_url(tenant)}")
    if admin_email:
        click.echo(f"invited {admin_email.strip().lower()} to be its admin (the link is mailed)")


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
    click.echo(f"  address:   {site_url(tenant)}")
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
        commit()
        click.echo(f"tenant {slug!r} {done}")


_status_command("suspend", TenantStatus.SUSPENDED, "suspended: its hosts answer 403")
_status_command("resume", TenantStatus.ACTIVE, "is active again")


@tenants.command("delete")
@click.argument("slug")
@click.option(
    "--grace-days",
    type=click.FloatRange(0, 3650),
    default=0,
    show_default=True,
    help="Keep the data this many days before the purge (0: purge at once).",
)
@click.option("--yes", is_flag=True, help="Do not ask to type the slug.")
@friendly
def tenants_delete(slug: str, grace_days: float, yes: bool) -> None:
    """Close a tenant's sites now; purge its data at once or after --grace-days."""
    session = db.session
    tenant = lifecycle.find(session, slug)
    counts = lifecycle.row_counts(session, tenant)
    click.echo(f"deleting {slug!r}:")
    click.echo("  now:   its sites close (they answer 404)")
    when = "at once" if not grace_days else f"after {grace_days:g} day(s) (cancel until then)"
    click.echo(f"  then:  its {sum(counts.values())} rows are purged {when}:")
    for table, count in counts.items():
        if count:
            click.echo(f"           {table}: {count}")
    click.echo(f"  the slug {slug!r} can be used again only after the purge")
    _confirm(slug, yes)
    lifecycle.delete(session, tenant, grace_days=grace_days)
    if grace_days:
        commit()
        click.echo(f"tenant {slug!r} deleted; its data is purged after {tenant.purge_after} UTC")
        return
    lifecycle.purge(session, tenant)
    commit()
    click.echo(f"tenant {slug!r} deleted and purged; the slug is free again")


@tenants.command("purge")
@click.argument("slug")
@click.option("--yes", is_flag=True, help="Do not ask to type the slug.")
@friendly
def tenants_purge(slug: str, yes: bool) -> None:
    """Purge a deleted tenant now, without waiting for its grace period; frees its slug."""
    session = db.session
    tenant = lifecycle.find(session, slug)
    click.echo(f"this removes {sum(lifecycle.row_counts(session, tenant).values())} rows for good")
    _confirm(slug, yes)
    lifecycle.purge(session, tenant)
    commit()
    click.echo(f"tenant {slug!r} purged; the slug is free again")


@tenants.command("purge-due")
@friendly
def tenants_purge_due() -> None:
    """Purge every deleted tenant whose grace period is over (run it daily)."""
    purged = lifecycle.purge_due(db.session)
    commit()
    click.echo(f"purged: {', '.join(purged)}" if purged else "nothing to purge")


@tenants.command("cancel-deletion")
@click.argument("slug")
@friendly
def tenants_cancel_deletion(slug: str) -> None:
    """Before its purge: bring a deleted tenant back, suspended."""
    tenant = lifecycle.find(db.session, slug)
    lifecycle.cancel_deletion(db.session, tenant)
    commit()
    click.echo(f"deletion of {slug!r} cancelled; it is suspended (resume it when ready)")


def _confirm(slug: str, yes: bool) -> None:
    if yes:
        return
    typed = click.prompt(f"type {slug} to confirm", default="", show_default=False)
    if typed.strip() != slug:
        raise click.ClickException("not confirmed; nothing was deleted")


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
