"""``tenantry plugins``: what is installed, per-tenant enablement, purge, and a new plugin."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import delete

from tenantry import catalogs
from tenantry.cli.feedback import friendly, print_table, registry, settings
from tenantry.db import db
from tenantry.migrate import alembic_config, downgrade
from tenantry.plugins import enablement
from tenantry.plugins.models import TenantPlugin
from tenantry.plugins.scaffold import ScaffoldError, scaffold
from tenantry.tenancy import lifecycle
from tenantry.tenancy.context import all_tenants

group = AppGroup("plugins", help="Installed plugins and their per-tenant enablement.")


@group.command("list")
@friendly
def plugins_list() -> None:
    """Loaded, refused, skipped and missing plugins, with how many tenants use each."""
    reg = registry()
    with all_tenants():
        usage = enablement.usage(db.session)
    rows = [
        (e.name, "loaded", e.version, e.distribution, str(usage.get(e.name, 0)), e.plugin.title)
        for e in reg
    ]
    rows += [
        (r.name, "refused", r.version, r.distribution, str(usage.get(r.name, 0)), r.reason)
        for r in reg.refused.values()
    ]
    rows += [
        (name, "skipped", "", "", str(usage.get(name, 0)), "disabled in settings")
        for name in reg.skipped
    ]
    rows += [
        (name, "missing", "", "", str(usage[name]), "enabled by tenants but not installed")
        for name in enablement.missing(reg, usage)
    ]
    print_table(("NAME", "STATE", "VERSION", "DISTRIBUTION", "TENANTS", "DETAIL"), rows)


@group.command("enable")
@click.argument("name")
@click.option("--tenant", "slug", required=True, help="The tenant's slug.")
@friendly
def plugins_enable(name: str, slug: str) -> None:
    """Turn a plugin on for one tenant, with the plugins it requires."""
    tenant = lifecycle.find(db.session, slug)
    turned_on = enablement.enable(db.session, registry(), tenant, name)
    db.session.commit()
    click.echo(
        f"enabled for {slug!r}: {', '.join(turned_on)}"
        if turned_on
        else f"{name!r} was already enabled for {slug!r}"
    )


@group.command("disable")
@click.argument("name")
@click.option("--tenant", "slug", required=True, help="The tenant's slug.")
@friendly
def plugins_disable(name: str, slug: str) -> None:
    """Turn a plugin off for one tenant; its data is kept."""
    tenant = lifecycle.find(db.session, slug)
    changed = enablement.disable(db.session, registry(), tenant, name)
    db.session.commit()
    click.echo(
        f"disabled {name!r} for {slug!r} (its data is kept)"
        if changed
        else f"{name!r} was not enabled for {slug!r}"
    )


@group.command("purge")
@click.argument("name")
@friendly
def plugins_purge(name: str) -> None:
    """Drop a plugin's tables (downgrade its migration branch) and forget its enablement."""
    reg = registry()
    entry = reg.loaded.get(name)
    if entry is None:
        raise click.ClickException(
            f"plugin {name!r} is not loaded; only a loaded plugin can be purged"
        )
    if entry.plugin.migrations is None:
        raise click.ClickException(f"plugin {name!r} has no migrations, so no tables to drop")
    dependents = reg.dependents(name)
    if dependents:
        raise click.ClickException(f"{', '.join(dependents)} require {name!r}; purge those first")
    click.echo(f"this drops every table of {name!r} with all tenants' data in them")
    if click.prompt(f"type {name} to confirm", default="", show_default=False) != name:
        raise click.ClickException("not confirmed; nothing was changed")
    downgrade(alembic_config(settings(), reg), f"{name}@base")
    db.session.execute(delete(TenantPlugin).where(TenantPlugin.plugin == name))
    db.session.commit()
    click.echo(f"{name!r} purged; uninstall its distribution to finish")


@group.command("new", with_appcontext=False)
@click.argument("name")
@click.option(
    "--path",
    "parent",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Folder to create the distribution in.",
)
def plugins_new(name: str, parent: Path) -> None:
    """Scaffold a complete, installable plugin distribution named tenantry-NAME.

    Needs no project: it only writes the new distribution's folder under --path.
    """
    try:
        target = scaffold(name, parent)
    except ScaffoldError as error:
        raise click.ClickException(str(error)) from None
    catalogs.compile_all(target / f"tenantry_{name}")  # its German .mo, from the .po
    click.echo(f"created {target}")
    click.echo(
        f"next: pip install -e {target} && tenantry db upgrade && "
        f"tenantry plugins enable {name} --tenant <slug>"
    )
