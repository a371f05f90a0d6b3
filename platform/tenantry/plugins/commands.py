"""Plugin commands that change the schema or write files: purge and new (scaffold)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from sqlalchemy import delete

from tenantry.cli import friendly
from tenantry.db import db
from tenantry.migrate import alembic_config, downgrade
from tenantry.plugins.models import TenantPlugin
from tenantry.plugins.runtime import runtime
from tenantry.plugins.scaffold import ScaffoldError, scaffold


@click.command("purge")
@click.argument("name")
@friendly
def purge_command(name: str) -> None:
    """Drop a plugin's tables (downgrade its migration branch) and forget its enablement."""
    registry = runtime().registry
    entry = registry.loaded.get(name)
    if entry is None:
        raise click.ClickException(
            f"plugin {name!r} is not loaded; only a loaded plugin can be purged"
        )
    if entry.plugin.migrations is None:
        raise click.ClickException(f"plugin {name!r} has no migrations, so no tables to drop")
    dependents = registry.dependents(name)
    if dependents:
        raise click.ClickException(f"{', '.join(dependents)} require {name!r}; purge those first")
    click.echo(f"this drops every table of {name!r} with all tenants' data in them")
    if click.prompt(f"type {name} to confirm", default="", show_default=False) != name:
        raise click.ClickException("not confirmed; nothing was changed")
    settings = current_app.extensions["tenantry.settings"]
    downgrade(alembic_config(settings, registry), f"{name}@base")
    db.session.execute(delete(TenantPlugin).where(TenantPlugin.plugin == name))
    db.session.commit()
    click.echo(f"{name!r} purged; uninstall its distribution to finish")


@click.command("new")
@click.argument("name")
@click.option(
    "--path",
    "parent",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Folder to create the distribution in.",
)
def new_command(name: str, parent: Path) -> None:
    """Scaffold a complete, installable plugin distribution."""
    try:
        target = scaffold(name, parent)
    except ScaffoldError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"created {target}")
    click.echo(
        f"next: pip install -e {target} && tenantry db upgrade && "
        f"tenantry plugins enable {name} --tenant <slug>"
    )
