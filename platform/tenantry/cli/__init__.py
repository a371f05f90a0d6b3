"""The ``tenantry`` command: Tenantry's own click group, with an app built only when needed.

Each command prints a message for a person on failure and exits non-zero,
never a traceback. Commands that touch tenant data say their scope: a
``--tenant`` option enters that tenant's context; platform-wide commands
open ``all_tenants()`` explicitly. One module per command group.

Commands that use the app run inside its app context (Flask's ``AppGroup`` and
``with_appcontext``); the app, and so the settings, are loaded only then, so
``--help``, ``--version`` and ``plugins new`` work anywhere and write nothing.
``flask --app tenantry.cli`` reaches the same commands through Flask's own CLI.
"""

from __future__ import annotations

import sys
from importlib.metadata import entry_points, version

import click
from flask import Flask
from flask.cli import ScriptInfo

from tenantry.app import STARTUP_ERRORS
from tenantry.app import create_app as create_web_app
from tenantry.cli import accounts, cache, database, demo, i18n, plugins, serve, tenants, worker
from tenantry.settings import Settings, load_settings

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
    i18n.group,
)
HELP = """Run and manage a Tenantry platform: its database, tenants and their domains,
accounts, plugins, and the web server.

Settings come from settings/*.toml, .env and TENANTRY_* variables in the project's
folder: TENANTRY_HOME, else the nearest folder above the working directory that has
a settings/ folder, else the checkout Tenantry was installed from."""


def add_commands(app: Flask) -> Flask:
    """Put the ``tenantry`` commands on ``app.cli`` (for ``flask --app`` and test runners)."""
    for command in COMMANDS:
        app.cli.add_command(command)
    return app


def create_app(settings: Settings | None = None) -> Flask:
    """The web app with the ``tenantry`` commands on its ``app.cli``."""
    return add_commands(create_web_app(settings))


def versions() -> list[str]:
    """Tenantry's version and each installed plugin distribution's, without importing them."""
    lines = [f"tenantry {version('tenantry')}"]
    found = sorted(entry_points(group="tenantry.plugins"), key=lambda point: point.name)
    for point in found:
        dist = point.dist
        where = f"{dist.name} {dist.version}" if dist else "unknown distribution"
        lines.append(f"  plugin {point.name}: {where}")
    if not found:
        lines.append("  no plugins installed")
    return lines


def _load_app() -> Flask:
    """The app, for commands that need it; start-up errors exit 2 without a traceback."""
    try:
        return create_app(load_settings())
    except STARTUP_ERRORS as error:
        click.echo(str(error), err=True)
        sys.exit(2)


def _print_versions(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        click.echo("\n".join(versions()))
        ctx.exit()


@click.group(name="tenantry", help=HELP, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_versions,
    help="Print Tenantry's version and the installed plugins', then exit.",
)
@click.pass_context
def cli(ctx: click.Context) -> None:
    ctx.obj = ScriptInfo(create_app=_load_app, set_debug_flag=False, load_dotenv_defaults=False)


for _command in COMMANDS:
    cli.add_command(_command)


def main() -> None:
    """Entry point of the ``tenantry`` script."""
    cli.main(prog_name="tenantry")
