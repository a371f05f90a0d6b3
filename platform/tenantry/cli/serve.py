"""``tenantry serve``: waitress, the same as ``python run.py``; ``--reload`` while developing."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from tenantry import reloader
from tenantry.cli.feedback import settings
from tenantry.serve import ServeError, serve
from tenantry.settings import HOME_VARIABLE, project_home, settings_dir


@click.command("serve")
@click.option(
    "--reload",
    "reload_",
    is_flag=True,
    help="Development only: restart when code, templates or settings of Tenantry or of "
    "an installed plugin change.",
)
@with_appcontext
def serve_command(reload_: bool) -> None:
    """Serve the platform with waitress (the same as python run.py)."""
    if reload_:
        _serve_reloading()
        return
    try:
        serve(current_app._get_current_object(), settings())  # type: ignore[attr-defined]
    except ServeError as error:
        raise click.ClickException(str(error)) from None


def _serve_reloading() -> None:
    if settings().env == "production":
        raise click.ClickException(
            "--reload is for development; in production run `tenantry serve` under a process "
            "manager and restart it on deploy"
        )
    home = project_home()
    roots = [Path(__file__).resolve().parents[1], *reloader.plugin_folders(), settings_dir()]
    env = dict(os.environ)
    if home is not None:
        roots.append(home / ".env")
        env[HOME_VARIABLE] = str(home)  # the child finds the same project from anywhere
    reloader.run([sys.executable, "-m", "tenantry", "serve"], roots, env)
