"""``tenantry serve``: waitress, the same as ``python run.py``; ``--workers N`` for N processes."""

from __future__ import annotations

import sys

import click
from flask import current_app

from tenantry.cli.feedback import settings
from tenantry.serve import ServeError, serve, supervise

#: How the supervisor starts each worker: this same command, one process each.
WORKER_COMMAND = (sys.executable, "-m", "tenantry", "serve")


@click.command("serve")
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    help="Processes to run, on port, port+1, ... (default: the workers setting).",
)
def serve_command(workers: int | None) -> None:
    """Serve with waitress (the same as python run.py)."""
    chosen = settings()
    if workers is not None:
        chosen = chosen.model_copy(update={"workers": workers})
    if chosen.workers > 1:
        sys.exit(supervise(WORKER_COMMAND, chosen))
    try:
        serve(current_app._get_current_object(), chosen)  # type: ignore[attr-defined]
    except ServeError as error:
        raise click.ClickException(str(error)) from None
