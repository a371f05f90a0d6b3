"""``tenantry serve``: waitress, the same as ``python run.py``."""

from __future__ import annotations

import click
from flask import current_app

from tenantry.cli.feedback import settings
from tenantry.serve import ServeError, serve


@click.command("serve")
def serve_command() -> None:
    """Serve with waitress (the same as python run.py)."""
    try:
        serve(current_app._get_current_object(), settings())  # type: ignore[attr-defined]
    except ServeError as error:
        raise click.ClickException(str(error)) from None
