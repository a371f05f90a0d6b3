"""The notes JSON page: this checkout against an earlier commit, in one interleaved run.

A change to what every request does (keys, scoping, hooks) must not slow the
page, and on these shared machines only a ratio measured in the same run means
anything. This exports ``--base`` (default ``main``) with ``git archive``, and
for each side migrates and seeds a database with that side's own code (its
migrations, its schema), serves it with ``python run.py`` from its own tree,
then drives the two in turns (base, this, base, this, ...) with the same load.

    .venv/bin/python -m bench.versions [--base main] [--rounds 5] [--seconds 5] [--db postgres]
"""

from __future__ import annotations

import argparse
import io
import statistics
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine

from bench.harness.databases import Database, scratch_database
from bench.harness.loadgen import LoadResult, Target, drive
from bench.harness.reports import print_table, publish
from bench.harness.scenario import parse_with_kinds
from bench.harness.seeding import NOTES_PATH, Seeded, seed_tenants
from bench.harness.servers import PYTHON, REPO, Server, get, migrate, tenantry_env
from bench.throughput import check_same_page
from tenantry.migrate import current_heads
from tenantry.testing import free_port


@dataclass
class Side:
    """One version of tenantry, served from its tree on a database of its own."""

    name: str
    tree: Path
    database: Database
    port: int
    env: dict[str, str]
    tenant: Seeded | None = None
    #: The revisions its database is at: shows each side ran its own migrations.
    heads: set[str] = field(default_factory=set)
    results: list[LoadResult] = field(default_factory=list)

    def target(self) -> Target:
        assert self.tenant is not None
        return Target(self.tenant.host(self.port), self.tenant.token)

    def server(self) -> Server:
        return Server([PYTHON, "run.py"], self.env, self.port, f"tenantry ({self.name})", self.tree)


def export(revision: str, into: Path) -> Path:
    """The tree of ``revision`` (a commit, a branch) as plain files under ``into``."""
    archive = subprocess.run(
        ["git", "archive", "--format=tar", revision], cwd=REPO, capture_output=True, check=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def side(stack: ExitStack, name: str, tree: Path, kind: str, work: Path, notes: int) -> Side:
    """A database migrated and seeded by ``tree``'s code (core and plugins), dropped on exit."""
    folder = work / name
    folder.mkdir()
    database = scratch_database(kind, folder)
    stack.callback(database.drop)
    port = free_port()
    env = tenantry_env(database, folder, port)
    if tree != REPO:  # found before the editable installs of this checkout
        packages = [
            tree / "platform",
            *sorted(p for p in (tree / "plugins").iterdir() if p.is_dir()),
        ]
        env["PYTHONPATH"] = ":".join(str(p) for p in packages)
    made = Side(name, tree, database, port, env)
    migrate(env, cwd=tree)
    engine = create_engine(database.owner_url)
    made.heads = current_heads(engine)
    engine.dispose()
    [made.tenant] = seed_tenants(database.owner_url, 1, notes=notes)
    return made


@contextmanager
def two_sides(base: str, kind: str, notes: int) -> Iterator[tuple[Side, Side]]:
    """Both servers up, for the whole run: the turns then cost no start-up."""
    with tempfile.TemporaryDirectory(prefix="tenantry-versions-") as folder, ExitStack() as stack:
        work = Path(folder)
        old = side(stack, "base", export(base, work / "tree"), kind, work, notes)
        new = side(stack, "this", REPO, kind, work, notes)
        stack.enter_context(old.server())
        stack.enter_context(new.server())
        yield old, new


def measure(kind: str, base: str, rounds: int, seconds: float, connections: int, notes: int):
    with two_sides(base, kind, notes) as (old, new):
        pages = []
        for each in (old, new):
            status, page = get(each.port, NOTES_PATH, each.target().host, each.target().token)
            assert status == 200, (each.name, status, page[:300])
            pages.append(page)
        check_same_page(pages[1], pages[0])
        for _ in range(rounds):
            for each in (old, new):
                each.results.append(
                    drive(each.port, NOTES_PATH, [each.target()], connections, seconds)
                )
        return old, new


def summary(kind: str, old: Side, new: Side) -> dict[str, Any]:
    def median(results: list[LoadResult], attribute: str) -> float:
        return statistics.median(getattr(r, attribute) for r in results)

    before, after = median(old.results, "rps"), median(new.results, "rps")
    return {
        "db": kind,
        "base_rps": before,
        "this_rps": after,
        "ratio": round(after / before, 3) if before else None,
        "base_p50_ms": median(old.results, "p50_ms"),
        "this_p50_ms": median(new.results, "p50_ms"),
        "heads": {"base": sorted(old.heads), "this": sorted(new.heads)},
        "rounds": {"base": old.results, "this": new.results},
        "errors": sum(r.errors + r.non_2xx for r in old.results + new.results),
    }


def git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--base", help="the commit to compare with (default: where this branch left main)"
    )
    parser.add_argument("--rounds", type=int, default=5, help="turns of each side")
    parser.add_argument("--seconds", type=float, default=5.0, help="per turn")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--notes", type=int, default=100, help="notes of the tenant")
    args, kinds = parse_with_kinds(parser)
    base = (
        git("rev-parse", "--short", args.base) if args.base else git("merge-base", "HEAD", "main")
    )
    base, this = git("rev-parse", "--short", base), git("rev-parse", "--short", "HEAD")
    results = []
    for kind in kinds:
        old, new = measure(kind, base, args.rounds, args.seconds, args.connections, args.notes)
        results.append(summary(kind, old, new))
        print_table(
            ("round", "base req/s", "this req/s"),
            [
                (n + 1, a.rps, b.rps)
                for n, (a, b) in enumerate(zip(old.results, new.results, strict=True))
            ],
            f"{kind}: {NOTES_PATH}, {args.connections} connections, {args.seconds:g} s a turn; "
            f"schemas at {', '.join(sorted(old.heads))} (base) and {', '.join(sorted(new.heads))}",
        )
    print_table(
        ("db", f"base ({base}) req/s", f"this ({this}) req/s", "this/base", "p50 ms base/this"),
        [
            (
                r["db"],
                r["base_rps"],
                r["this_rps"],
                r["ratio"],
                f"{r['base_p50_ms']}/{r['this_p50_ms']}",
            )
            for r in results
        ],
        f"Medians of {args.rounds} interleaved rounds",
    )
    publish(
        "versions",
        {
            "base": base,
            "this": this,
            "settings": vars(args) | {"kinds": kinds},
            "results": results,
        },
    )


if __name__ == "__main__":
    main()
