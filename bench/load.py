"""Bounded load test: many tenants, reads and writes at once, and not one row in the wrong place.

64 keep-alive connections (each request picks one of 50 tenants, so one
connection and one server thread serve many tenants in turn) mix GET list,
GET one, POST and PATCH on the notes JSON API with per-tenant API tokens;
5% of requests probe another tenant's note id and must get 404. Every title
written carries ``[<slug>]``, so a response (or a stored row) holding another
tenant's note is caught. Passes with 0 errors and 0 context bleed.

Loopback only, at most 60 s:

    .venv/bin/python -m bench.load [--seconds 30] [--db sqlite]

The load and its checks are ``tenantry.testing.load.run_load``, which
``tests/test_load.py`` runs for a few seconds in CI; this is the long version,
against a production-like server process.
"""

from __future__ import annotations

import argparse
from typing import Any

from bench.harness.reports import print_table, publish
from bench.harness.scenario import parse_with_kinds, scenario
from bench.harness.seeding import NOTES_PATH
from tenantry.testing.load import MAX_SECONDS, MIX, JsonCollection, LoadTenant, run_load

NOTES = JsonCollection(
    NOTES_PATH, table="notes_note", fields={"body": "written under load", "tags": ["load"]}
)


def run_kind(kind: str, seconds: float, connections: int, tenants: int) -> dict[str, Any]:
    with scenario("load", kind) as run:
        seeded = run.seed(tenants, notes=20, prefix="load")
        with run.server():
            report = run_load(
                run.port,
                run.database.owner_url,
                NOTES,
                [LoadTenant(t.slug, t.token, t.note_ids) for t in seeded],
                connections,
                seconds,
            )
    return {"db": kind, "connections": connections, "tenants": tenants, **report.summary()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0, help=f"at most {MAX_SECONDS}")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--tenants", type=int, default=50)
    args, kinds = parse_with_kinds(parser)
    if not 0 < args.seconds <= MAX_SECONDS:
        parser.error(f"--seconds must be in (0, {MAX_SECONDS}]")

    seconds = args.seconds / len(kinds)  # the whole command stays within --seconds of load
    results = [run_kind(kind, seconds, args.connections, args.tenants) for kind in kinds]
    print_table(
        [
            "db",
            "conns",
            "tenants",
            "s",
            "requests",
            "req/s",
            "p50_ms",
            "p99_ms",
            "errors",
            "bleed",
            "misfiled",
        ],
        [
            [r[k] for k in ("db", "connections", "tenants", "seconds", "requests", "rps")]
            + [r["p50_ms"], r["p99_ms"], r["errors"], r["bleed"], r["misfiled_rows"]]
            for r in results
        ],
        "Mixed read/write load through the JSON API",
    )
    for r in results:
        for sample in r["samples"]:
            print(f"  {r['db']}: {sample}")
    publish("load", {"settings": vars(args), "mix": MIX, "runs": results})
    failed = [r["db"] for r in results if r["errors"] or r["bleed"] or r["misfiled_rows"]]
    if failed:
        raise SystemExit(f"FAILED on {', '.join(failed)}")
    print("PASS: 0 errors, 0 context bleed, 0 misfiled rows")


if __name__ == "__main__":
    main()
