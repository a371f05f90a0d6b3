"""``tenantry i18n``: the gettext catalogs of the core and of plugins (no app, no database).

The loop after adding or changing words: ``tenantry i18n update`` (new strings come
into each language's ``.po`` empty), translate them, ``tenantry i18n compile``;
``make i18n`` runs both. ``tenantry i18n check`` fails while anything is left
untranslated, as the test suite does.
"""

from __future__ import annotations

from pathlib import Path

import click

import tenantry
from tenantry import catalogs

group = click.Group(
    "i18n",
    help="Translations: extract, update, compile and check the gettext catalogs of the core "
    "and of plugins. PACKAGE is a package directory (the one holding templates/ and "
    "translations/); by default the core and the plugins bundled in its checkout.",
)
PACKAGES = click.argument(
    "packages",
    nargs=-1,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    metavar="[PACKAGE]...",
)


def bundled() -> list[Path]:
    """The core's package and, in a checkout, each bundled plugin's (plugins/*/tenantry_*)."""
    core = Path(tenantry.__file__).resolve().parent
    checkout = core.parent.parent
    plugins = sorted(path.parent for path in checkout.glob("plugins/*/tenantry_*/__init__.py"))
    return [core, *plugins]


def _chosen(packages: tuple[Path, ...]) -> list[Path]:
    return list(packages) or bundled()


@group.command("extract")
@PACKAGES
def extract_command(packages: tuple[Path, ...]) -> None:
    """Write each package's translations/messages.pot: every string its code and templates
    mark for translation."""
    for package in _chosen(packages):
        click.echo(f"wrote {catalogs.write_template(package)}")


@group.command("update")
@PACKAGES
def update_command(packages: tuple[Path, ...]) -> None:
    """Extract, then merge into each language's messages.po (created when missing): new
    strings come in empty, strings no longer used are dropped."""
    for package in _chosen(packages):
        for path in catalogs.update(package):
            click.echo(f"updated {path}")
        _report(package)


@group.command("compile")
@PACKAGES
def compile_command(packages: tuple[Path, ...]) -> None:
    """Compile each language's messages.po into the messages.mo the app reads."""
    for package in _chosen(packages):
        for path in catalogs.compile_all(package):
            click.echo(f"compiled {path}")


@group.command("check")
@PACKAGES
def check_command(packages: tuple[Path, ...]) -> None:
    """Fail (exit 1) when a string is missing from a catalog, untranslated, fuzzy, or
    its .mo is older than its .po."""
    problems = sum(_report(package) for package in _chosen(packages))
    if problems:
        raise click.ClickException(
            f"{problems} problem(s): run `tenantry i18n update`, translate, then "
            "`tenantry i18n compile`"
        )
    click.echo("every catalog is complete and compiled")


def _report(package: Path) -> int:
    """Print what a translator still has to do in ``package``; how many things that is."""
    count = 0
    for code, msgids in catalogs.missing(package).items():
        for msgid in msgids:
            click.echo(f"{package.name} {code}: not in the catalog: {msgid!r}", err=True)
            count += 1
    for entry in catalogs.untranslated(package):
        click.echo(f"{package.name} {entry.locale}: {entry.why}: {entry.msgid!r}", err=True)
        count += 1
    for code in catalogs.stale_compiled(package):
        click.echo(f"{package.name} {code}: messages.mo is older than messages.po", err=True)
        count += 1
    return count
