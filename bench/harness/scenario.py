"""The set-up and tear-down every benchmark repeats, written once.

A run gets a temporary folder, a scratch database migrated as a user would
(``tenantry db upgrade``), a free port and the environment of a
production-like tenantry server; on the way out every database it made is
dropped, whatever happened. A benchmark module is then only its scenario::

    args, kinds = parse_with_kinds(parser)
    for kind in kinds:
        with scenario("throughput", kind) as run:
            [tenant] = run.seed(1, notes=100)
            with run.server():
                drive(run.port, NOTES_PATH, [Target(tenant.host(run.port), tenant.token)], 8, 10)
    print_table(...)
    publish("throughput", {...})
"""

from __future__ import annotations

import argparse
import os
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask

from bench import bare_app
from bench.harness.databases import KINDS, Database, available_kinds, scratch_database
from bench.harness.seeding import Seeded, seed_tenants
from bench.harness.servers import Server, migrate, tenantry_env, tenantry_server
from tenantry.app import create_app
from tenantry.settings import load_settings
from tenantry.testing import APP_ROLE, free_port


def parse_with_kinds(parser: argparse.ArgumentParser) -> tuple[argparse.Namespace, list[str]]:
    """Add ``--db`` (repeatable, default both), parse, and keep the kinds this machine has."""
    parser.add_argument("--db", choices=KINDS, action="append", help="default: both")
    args = parser.parse_args()
    return args, available_kinds(args.db or KINDS)


@dataclass
class Scenario:
    """One run's folder, database, port and server environment (see ``scenario``)."""

    kind: str
    work: Path
    database: Database
    port: int
    env: dict[str, str]
    _others: list[Database] = field(default_factory=list)

    def migrate(self, **env: str) -> float:
        """``tenantry db upgrade`` with the server's environment (plus ``env``); seconds."""
        return migrate(self.env | env)

    def seed(self, count: int, **options: Any) -> list[Seeded]:
        """Bulk-insert ``count`` tenants (``seed_tenants`` options); the hot ones come back."""
        return seed_tenants(self.database.owner_url, count, **options)

    def server(self, **env: str) -> Server:
        """A tenantry server on ``port`` with the scenario's environment (plus ``env``)."""
        return tenantry_server(self.env | env)

    def app(self) -> Flask:
        """The tenantry app in this process, configured by the server's environment."""
        os.environ.update({k: v for k, v in self.env.items() if k.startswith("TENANTRY_")})
        return create_app(load_settings())

    def bare_database(self, notes: int, public_notes: Sequence[dict[str, Any]] = ()) -> Database:
        """A second database with the bare baseline's tables, its user and token
        (``bare_app.TOKEN``), ``notes`` notes and the ``public_notes`` rows."""
        database = scratch_database(self.kind, self.work, "bare")
        self._others.append(database)
        bare_app.seed(database.owner_url, APP_ROLE, notes, public_notes)
        return database


@contextmanager
def scenario(name: str, kind: str, *, migrated: bool = True) -> Iterator[Scenario]:
    """A fresh scratch world of ``kind`` for one run; ``migrated=False`` leaves migrating to it."""
    with tempfile.TemporaryDirectory(prefix=f"tenantry-{name}-") as folder:
        work = Path(folder)
        database = scratch_database(kind, work)
        port = free_port()
        run = Scenario(kind, work, database, port, tenantry_env(database, work, port))
        try:
            if migrated:
                run.migrate()
            yield run
        finally:
            for each in [database, *run._others]:
                each.drop()
