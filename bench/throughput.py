"""Requests/s of tenantry against a bare Flask app doing the same work, interleaved rounds.

Two scenarios, each tenantry and its bare twin (``bench.bare_app``) serving the same
output under waitress (threads=8) on loopback, against the same kind of database:

- ``public``: ``/public/notes.json`` of the bench's own plugin (``bench/publicpage``,
  built for the run's processes only): a tenant's 20 newest of 200 notes as JSON, no login, one
  scoped query; the bare twin sends the same single query and answers the same bytes.
  Targets: >= 0.95x on PostgreSQL, >= 0.80x on SQLite.
- ``notes``: the notes plugin's ``/notes/api/notes`` with an API token; the bare twin
  looks the token up with its user in one query and sends the same page query
  (authors joined, the total as ``count(*) OVER ()`` on PostgreSQL). Target >= 0.85x.

Tenantry serves ``--tenants`` tenants (requests rotate over their hosts), the bare
app one. Within a database kind both servers run side by side and are measured in
interleaved rounds (tenantry, bare, tenantry, ...; ``--rounds`` of ``--seconds``,
wrk with ``--connections``); the tables give the medians, their ratio and the time
per request each adds. ``/healthz`` of each gives the stack's ceiling, for context.

    .venv/bin/python -m bench.throughput [--scenario public|notes] [--rounds 3] [--seconds 5]
                                         [--tenants 10] [--db sqlite|postgres]
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from bench.bare_app import TOKEN as BARE_TOKEN
from bench.harness.loadgen import Target, drive
from bench.harness.publicpage import PLUGIN, ensure_installed
from bench.harness.reports import print_table, publish
from bench.harness.rounds import interleave, paired_ratio, ratio
from bench.harness.scenario import parse_with_kinds, scenario
from bench.harness.seeding import NOTES_PATH, Seeded, public_rows
from bench.harness.servers import THREADS, bare_server, get
from bench.page import PATH as PUBLIC_PATH
from tenantry.testing import ROOT, free_port, mark_of

SCENARIOS = ("public", "notes")
PATHS = {"public": PUBLIC_PATH, "notes": NOTES_PATH, "healthz": "/healthz"}
PUBLIC_NOTES = 200
NOTES = 100
#: (scenario, kind) -> the least tenantry/bare ratio wanted (issue 14).
TARGETS = {
    ("public", "postgres"): 0.95,
    ("public", "sqlite"): 0.80,
    ("notes", "postgres"): 0.85,
    ("notes", "sqlite"): 0.85,
}


def same_notes_page(ours: bytes, theirs: bytes) -> None:
    """The notes page: the same fields, 20 items, the same total (ids and texts differ)."""
    mine, bare = json.loads(ours), json.loads(theirs)
    assert set(mine) == set(bare), (sorted(mine), sorted(bare))
    assert len(mine["items"]) == len(bare["items"]) == 20
    assert set(mine["items"][0]) == set(bare["items"][0])
    assert mine["total"] == bare["total"]


def own_pages_only(port: int, tenants: list[Seeded]) -> None:
    """Each tenant's host answers its own notes on the public page, never the first's."""
    first = mark_of(tenants[0].slug).encode()
    for tenant in tenants[1:]:
        status, page = get(port, PUBLIC_PATH, tenant.host(port))
        assert status == 200 and mark_of(tenant.slug).encode() in page, tenant.slug
        assert first not in page, f"{tenant.slug} was served {tenants[0].slug}'s notes"


def measure_kind(kind: str, args: argparse.Namespace) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    with scenario("throughput", kind) as run:
        tenants = run.seed(
            args.tenants, notes=NOTES, public_notes=PUBLIC_NOTES, plugins=("notes", PLUGIN)
        )
        bare_db = run.bare_database(NOTES, public_rows(tenants[0].slug, PUBLIC_NOTES))
        with run.server(), bare_server(bare_db, free_port()) as bare:
            for name in [*args.scenario, "healthz"]:
                path = PATHS[name]
                ours = [
                    Target(t.host(run.port), t.token if name == "notes" else "") for t in tenants
                ]
                theirs = [Target(ROOT, BARE_TOKEN if name == "notes" else "")]
                status, mine = get(run.port, path, ours[0].host, ours[0].token)
                assert status == 200, (status, mine[:300])
                status, bare_page = get(bare.port, path, ROOT, theirs[0].token)
                assert status == 200, (status, bare_page[:300])
                if name == "public":
                    assert mine == bare_page, "the public page differs from its bare twin's"
                    own_pages_only(run.port, tenants)
                elif name == "notes":
                    same_notes_page(mine, bare_page)
                print(f"{kind} {path}: {args.rounds} rounds of {args.seconds:.0f} s", flush=True)
                found = interleave(
                    {
                        "tenantry": lambda p=path, t=ours: drive(
                            run.port, p, t, args.connections, args.seconds, 0.5
                        ),
                        "bare": lambda p=path, t=theirs: drive(
                            bare.port, p, t, args.connections, args.seconds, 0.5
                        ),
                    },
                    args.rounds,
                )
                rows.append(
                    {
                        "db": kind,
                        "scenario": name,
                        "path": path,
                        "tenantry": found["tenantry"],
                        "bare": found["bare"],
                        "ratio": ratio(found["tenantry"], found["bare"]),
                        "paired_ratio": paired_ratio(found["tenantry"], found["bare"]),
                        "added_ms": round(
                            found["tenantry"].ms_per_request - found["bare"].ms_per_request, 3
                        ),
                        "target": TARGETS.get((name, kind)),
                    }
                )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--scenario", choices=SCENARIOS, action="append", help="default: both (public first)"
    )
    parser.add_argument("--seconds", type=float, default=5.0, help="per measured run")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (medians)")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--tenants", type=int, default=10, help="tenants tenantry serves")
    args, kinds = parse_with_kinds(parser)
    args.scenario = args.scenario or list(SCENARIOS)
    if "public" in args.scenario:
        ensure_installed()

    rows = [row for kind in kinds for row in measure_kind(kind, args)]
    print_table(
        (
            "db",
            "path",
            "tenantry req/s",
            "bare req/s",
            "tenantry/bare",
            "round ratios median",
            "ms/req tenantry",
            "ms/req bare",
            "added ms",
            "tenantry rounds",
            "bare rounds",
            "errors",
        ),
        [
            (
                r["db"],
                r["path"],
                r["tenantry"].rps,
                r["bare"].rps,
                f"{r['ratio']:.3f}{_verdict(r['ratio'], r['target'])}",
                r["paired_ratio"],
                r["tenantry"].ms_per_request,
                r["bare"].ms_per_request,
                r["added_ms"],
                " ".join(f"{x:.0f}" for x in r["tenantry"].rounds_rps),
                " ".join(f"{x:.0f}" for x in r["bare"].rounds_rps),
                r["tenantry"].errors + r["tenantry"].non_2xx + r["bare"].errors + r["bare"].non_2xx,
            )
            for r in rows
        ],
        f"Medians of {args.rounds} interleaved rounds of {args.seconds:.0f} s, "
        f"{args.connections} connections, tenantry over {args.tenants} tenants",
    )
    publish(
        "throughput",
        {
            "settings": vars(args) | {"threads": THREADS, "public_notes": PUBLIC_NOTES},
            "results": rows,
        },
    )


def _verdict(value: float | None, target: float | None) -> str:
    if target is None or value is None:
        return ""
    return f" ok (>= {target})" if value >= target else f" BELOW {target}"


if __name__ == "__main__":
    main()
