"""``tenantry usage collect``: measure every tenant's rows and storage into today's usage
row and drop days past the retention (platform scope: every tenant). Run it daily (cron);
request counts are written by the serving processes themselves."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from tenantry import usage
from tenantry.cli.feedback import friendly
from tenantry.db import db
from tenantry.settings import Settings

group = AppGroup("usage", help="Per-tenant usage for the dashboards (platform scope).")


@group.command("collect")
@friendly
def usage_collect() -> None:
    """Measure rows per table and storage for every tenant; apply the retention."""
    settings: Settings = current_app.extensions["tenantry.settings"]
    measured = usage.collect(db.platform_engine, settings.usage_retention_days)
    click.echo(
        f"usage collected for {measured} tenant(s); kept {settings.usage_retention_days} days"
    )
