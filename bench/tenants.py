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

from bench.harness.loadgen import Target, drive
from bench.harness.reports import print_table, publish
from bench.harness.scenario import parse_with_kinds, scenario
from bench.harness.seeding import NOTES_PATH, Seeded

SIZES = (10, 1_000, 10_000)
HOT = 1_000
TARGET_RATIO = 0.95


def measure_kind(kind: str, seconds: float, notes: int, connections: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    with scenario("tenants", kind) as run:
        hot: list[Seeded] = []
        total = 0
        for size in SIZES:
            # Grow to ``size``: the first batch holds the hot tenants, later ones are cold.
            wanted_hot = min(HOT, size) - len(hot)
            hot += run.seed(size - total, hot=wanted_hot, notes=notes, prefix=f"s{size}x")
            total = size
            targets = [
                Target(t.host(run.port) if n % 2 == 0 else t.domain(run.port), t.token)
                for n, t in enumerate(hot)
            ]
            with run.server():
                warmup = 2.0 + len(targets) / 300
                result = drive(run.port, NOTES_PATH, targets, connections, seconds, warmup)
            rows.append(
                {
                    "db": kind,
                    "tenants": size,
                    "hosts_rotated": len(targets),
                    "connections": connections,
                    **vars(result),
                }
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--notes", type=int, default=30, help="notes per hot tenant")
    parser.add_argument("--connections", type=int, default=8)
    args, kinds = parse_with_kinds(parser)

    rows: list[dict[str, Any]] = []
    for kind in kinds:
        rows += measure_kind(kind, args.seconds, args.notes, args.connections)
    summary = []
    for kind in {r["db"] for r in rows}:
        by_size = {r["tenants"]: r for r in rows if r["db"] == kind}
        ratio = by_size[SIZES[-1]]["rps"] / by_size[SIZES[0]]["rps"]
        summary.append({"db": kind, "ratio_largest_to_smallest": round(ratio, 3)})
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
    publish(
        "tenants",
        {
            "settings": vars(args) | {"sizes": SIZES, "hot": HOT},
            "target_ratio": TARGET_RATIO,
            "runs": rows,
            "ratios": summary,
        },
    )


if __name__ == "__main__":
    main()
