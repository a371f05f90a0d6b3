"""How commands talk to a person: one-line failures, tables, passwords from a prompt or stdin."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Sequence
from typing import Any

import click
from flask import current_app
from sqlalchemy.exc import DBAPIError

from tenantry import mail
from tenantry.auditlog import Actor, acting_as
from tenantry.db import db
from tenantry.errors import Refused
from tenantry.plugins.registry import PluginRegistry
from tenantry.plugins.runtime import runtime
from tenantry.settings import Settings
from tenantry.tenancy.errors import TenancyError


def settings() -> Settings:
    return current_app.extensions["tenantry.settings"]


def registry() -> PluginRegistry:
    return runtime().registry


def friendly(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn refusals and database errors into one line on stderr and exit status 1; roll back.
    What the command changes is recorded in the audit log as done by the CLI."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            with acting_as(Actor.cli()):
                return fn(*args, **kwargs)
        except (Refused, TenancyError) as error:
            db.session.rollback()
            raise click.ClickException(str(error)) from None
        except DBAPIError as error:
            db.session.rollback()
            raise click.ClickException(
                f"database error: {error.orig}\n"
                "(a new or outdated database? run `tenantry db upgrade` first)"
            ) from None

    return wrapper


def commit() -> None:
    """Commit, which sends the mail the change queued; say on stderr what could not be sent."""
    db.session.commit()
    for problem in mail.undelivered(db.session):
        click.echo(f"warning: {problem}", err=True)


def read_password(confirm: bool = True) -> str:
    """From a prompt on a terminal, or the first line of stdin when piped; never an argument."""
    if sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt=confirm)
    return sys.stdin.readline().rstrip("\n")


def print_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        click.echo(
            "  ".join(
                str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)
            ).rstrip()
        )
    if not rows:
        click.echo("(none)")
