"""Does the notes page slow down as tenants are added? rps with 10, 1,000 and 10,000 tenants.

DESIGN.md promises that host resolution is answered from memory, so its cost
does not grow with the number of tenants (target: rps@10000 / rps@10 >= 0.95).
One database per kind grows from 10 to 10,000 tenants (bulk SQL: tenant,
custom domain, notes enabled); up to 1,000 "hot" tenants get an admin, a token
and notes. Requests rotate over every hot tenant, alternating their
``<slug>.localhost`` host and their custom domain, so both resolver paths and
the per-tenant caches are exercised. The server restarts at each size (cold
caches), is warmed over all hot hosts, then measured.

    .venv/bin/python -m bench.tenants [--seconds 10] [--db sqlite]
"""

from __future__ import annotations

import argparse
from typing import Any

from bench.common import (
    KINDS,
    NOTES_PATH,
    Target,
    available_kinds,
    drive,
    free_port,
    migrate,
    print_table,
    scratch_database,
    seed_tenants,
    tenantry_env,
    tenantry_server,
    workspace,
    write_results,
)

SIZES = (10, 1_000, 10_000)
HOT = 1_000
TARGET_RATIO = 0.95


def measure_kind(kind: str, seconds: float, notes: int, connections: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    with workspace("tenants") as work:
        database = scratch_database(kind, work)
        try:
            port = free_port()
            env = tenantry_env(database, work, port)
            migrate(env)
            hot: list[Any] = []
            total = 0
            for size in SIZES:
                # Grow to ``size``: the first batch holds the hot tenants, later ones are cold.
                wanted_hot = min(HOT, size) - len(hot)
                hot += seed_tenants(
                    database.owner_url,
                    size - total,
                    hot=wanted_hot,
                    notes=notes,
                    prefix=f"s{size}x",
                )[:wanted_hot]
                total = size
                targets = [
                    Target(t.host(port) if n % 2 == 0 else t.domain(port), t.token)
                    for n, t in enumerate(hot)
                ]
                with tenantry_server(env):
                    warmup = 2.0 + len(targets) / 300
                    result = drive(port, NOTES_PATH, targets, connections, seconds, warmup)
                rows.append(
                    {
                        "db": kind,
                        "tenants": size,
                        "hosts_rotated": len(targets),
                        "connections": connections,
                        **vars(result),
                    }
                )
        finally:
            database.drop()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--notes", type=int, default=30, help="notes per hot tenant")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--db", choices=KINDS, action="append", help="default: both")
    args = parser.parse_args()

    rows: list[dict[str, Any]] = []
    for kind in available_kinds(args.db or KINDS):
        rows += measure_kind(kind, args.seconds, args.notes, args.connections)
    summary = []
    for kind in {r["db"] for r in rows}:
        by_size = {r["tenants"]: r for r in rows if r["db"] == kind}
        ratio = by_size[SIZES[-1]]["rps"] / by_size[SIZES[0]]["rps"]
        summary.append({"db": kind, "ratio_largest_to_smallest": round(ratio, 3)})
    path = write_results(
        "tenants",
        {
            "settings": vars(args) | {"sizes": SIZES, "hot": HOT},
            "target_ratio": TARGET_RATIO,
            "runs": rows,
            "ratios": summary,
        },
    )
    print_table(
        ("db", "tenants", "hosts", "req/s", "p50 ms", "p99 ms", "errors", "non-2xx"),
        [
            [r[k] for k in ("db", "tenants", "hosts_rotated", "rps", "p50_ms", "p99_ms")]
            + [r["errors"], r["non_2xx"]]
            for r in rows
        ],
        f"Notes list, {args.connections} connections",
    )
    print_table(
        ("db", f"rps@{SIZES[-1]} / rps@{SIZES[0]}", "target"),
        [(s["db"], s["ratio_largest_to_smallest"], f">= {TARGET_RATIO}") for s in summary],
        "Ratio",
    )
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
