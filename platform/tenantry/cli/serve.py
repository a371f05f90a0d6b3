"""``tenantry serve``: waitress, the same as ``python run.py``; ``--workers N`` for N
processes; ``--reload`` while developing."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from tenantry import reloader
from tenantry.cli.feedback import settings
from tenantry.serve import ServeError, serve, supervise
from tenantry.settings import HOME_VARIABLE, project_home, settings_dir

#: How the supervisor (and the reloader) start the server: this same command, one process each.
WORKER_COMMAND = (sys.executable, "-m", "tenantry", "serve")


@click.command("serve")
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    help="Processes to run, on port, port+1, ... (default: the workers setting).",
)
@click.option(
    "--reload",
    "reload_",
    is_flag=True,
    help="Development only: restart when code, templates or settings of Tenantry or of "
    "an installed plugin change.",
)
@with_appcontext
def serve_command(workers: int | None, reload_: bool) -> None:
    """Serve the platform with waitress (the same as python run.py)."""
    chosen = settings()
    if workers is not None:
        chosen = chosen.model_copy(update={"workers": workers})
    if reload_:
        if chosen.workers > 1:
            raise click.ClickException("--reload runs one process; leave out --workers")
        _serve_reloading()
        return
    if chosen.workers > 1:
        sys.exit(supervise(WORKER_COMMAND, chosen))
    try:
        serve(current_app._get_current_object(), chosen)  # type: ignore[attr-defined]
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
    reloader.run(list(WORKER_COMMAND), roots, env)
