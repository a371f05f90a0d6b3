"""The ``tenantry`` command: a Flask CLI group bound to the application factory.

Each command prints a message for a person on failure and exits non-zero,
never a traceback. Commands that touch tenant data say their scope: a
``--tenant`` option enters that tenant's context; platform-wide commands
open ``all_tenants()`` explicitly. One module per command group.

``flask --app tenantry.cli`` reaches the same commands through Flask's own CLI.
"""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import FlaskGroup

from tenantry.app import create_app as create_web_app
from tenantry.cli import accounts, cache, database, demo, plugins, serve, tenants, worker
from tenantry.settings import Settings, SettingsError, load_settings

COMMANDS: tuple[click.Command, ...] = (
    database.group,
    tenants.tenants,
    tenants.domains,
    accounts.users,
    accounts.operators,
    plugins.group,
    demo.demo_command,
    serve.serve_command,
    worker.worker_command,
    cache.group,
)


def add_commands(app: Flask) -> Flask:
    """Put the ``tenantry`` commands on ``app.cli`` (for ``flask --app`` and test runners)."""
    for command in COMMANDS:
        app.cli.add_command(command)
    return app


def create_app(settings: Settings | None = None) -> Flask:
    """The web app with the ``tenantry`` commands on its ``app.cli``."""
    return add_commands(create_web_app(settings))


def main() -> None:
    """Entry point of the ``tenantry`` script: settings errors exit 2 without a traceback."""
    try:
        loaded = load_settings()
    except SettingsError as error:
        click.echo(str(error), err=True)
        sys.exit(2)

    # The commands live on the app's cli, so that Flask pushes its app context for each.
    FlaskGroup(
        name="tenantry",
        create_app=lambda: create_app(loaded),
        load_dotenv=False,  # settings.py is the one reader of .env
        add_default_commands=False,
        help="Tenantry: manage tenants, plugins, accounts and the database.",
    ).main(prog_name="tenantry")
