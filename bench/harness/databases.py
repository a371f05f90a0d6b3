"""Scratch databases: a SQLite file in the run's folder, or a PostgreSQL database of its own.

PostgreSQL databases come from tenantry's testing kit, so a benchmark goes
through the same non-superuser role (row-level security applies) as the tests
and production do.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tenantry.testing import ScratchPostgres, postgres_unavailable

KINDS = ("sqlite", "postgres")


@dataclass
class Database:
    """A scratch database: ``app_url`` is what servers connect as, ``owner_url`` migrates/seeds."""

    kind: str
    app_url: str
    owner_url: str
    scratch: ScratchPostgres | None = None

    def drop(self) -> None:
        if self.scratch is not None:
            self.scratch.drop()


def available_kinds(requested: Sequence[str] = KINDS) -> list[str]:
    """The requested kinds, without PostgreSQL (saying why) when no server answers."""
    kinds = list(requested)
    if "postgres" in kinds and (reason := postgres_unavailable()):
        print(f"skipping PostgreSQL: {reason}", file=sys.stderr)
        kinds.remove("postgres")
    return kinds


def scratch_database(kind: str, workdir: Path, name: str = "tenantry") -> Database:
    """A new empty database; on PostgreSQL the app role has neither superuser nor BYPASSRLS."""
    if kind == "sqlite":
        url = f"sqlite:///{workdir / f'{name}.db'}"
        return Database(kind, url, url)
    scratch = ScratchPostgres()
    return Database(kind, scratch.app_url, scratch.owner_url, scratch)
