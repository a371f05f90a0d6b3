"""Does the notes page slow down as tenants are added? rps with 10, 1,000 and 10,000 tenants.

DESIGN.md promises that host resolution is answered from memory, so its cost
does not grow with the number of tenants (target: rps@10000 / rps@10 >= 0.95).
One database per kind grows from 10 to 10,000 tenants (bulk SQL: tenant,
custom domain, notes enabled); up to 1,000 "hot" tenants get an admin, a token
and notes. Requests rotate over every hot tenant, alternating their
``<slug>.localhost`` host and their custom domain, so both resolver paths and
the per-tenant caches are exercised. The server restarts at each size (cold
caches), is warmed over all hot hosts, then measured.

With ``--page public`` it asks the question of issue 14 instead, on the bench's
public page (``bench/publicpage``, no login, one scoped query): with the same 100
hot tenants (200 notes each; requests rotate over their hosts), req/s with 10,000
tenants in the database against 100. Two databases and two servers side by side,
measured in interleaved rounds (``--rounds``; medians), target >= 0.95.

    .venv/bin/python -m bench.tenants [--seconds 10] [--db sqlite]
    .venv/bin/python -m bench.tenants --page public [--seconds 5] [--rounds 3] [--db postgres]
"""

from __future__ import annotations

import argparse
from contextlib import ExitStack
from typing import Any

from bench.harness.loadgen import Target, drive
from bench.harness.publicpage import PLUGIN, ensure_installed
from bench.harness.reports import print_table, publish
from bench.harness.rounds import interleave, paired_ratio, ratio
from bench.harness.scenario import parse_with_kinds, scenario
from bench.harness.seeding import NOTES_PATH, Seeded
from bench.page import PATH as PUBLIC_PATH

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


#: The public page's question: the same hot tenants among few or many.
PUBLIC_HOT = 100
PUBLIC_SIZES = (100, 10_000)
PUBLIC_NOTES = 200


def public_spread(kind: str, seconds: float, rounds: int, connections: int) -> dict[str, Any]:
    """req/s of the public page over the same ``PUBLIC_HOT`` tenants, with each of
    ``PUBLIC_SIZES`` tenants in its own database, interleaved; the medians and ratio."""
    with ExitStack() as stack:
        contenders = {}
        for size in PUBLIC_SIZES:
            run = stack.enter_context(scenario(f"tenants{size}", kind))
            hot = run.seed(
                size, hot=PUBLIC_HOT, notes=0, public_notes=PUBLIC_NOTES, plugins=(PLUGIN,)
            )
            stack.enter_context(run.server())
            targets = [Target(t.host(run.port)) for t in hot]
            contenders[f"{size} tenants"] = lambda r=run, t=targets: drive(
                r.port, PUBLIC_PATH, t, connections, seconds, 1.0
            )
        print(f"{kind}: {rounds} interleaved rounds of {seconds:.0f} s", flush=True)
        found = interleave(contenders, rounds)
    few, many = (found[f"{size} tenants"] for size in PUBLIC_SIZES)
    return {
        "db": kind,
        "tenants": found,
        "ratio": ratio(many, few),
        "paired_ratio": paired_ratio(many, few),
    }


def main_public(args: argparse.Namespace, kinds: list[str]) -> None:
    ensure_installed()
    found = [public_spread(kind, args.seconds, args.rounds, args.connections) for kind in kinds]
    print_table(
        ("db", "tenants", "req/s", "ms/request", "p50 ms", "p99 ms", "rounds req/s", "errors"),
        [
            (
                f["db"],
                name,
                m.rps,
                m.ms_per_request,
                m.p50_ms,
                m.p99_ms,
                " ".join(f"{x:.0f}" for x in m.rounds_rps),
                m.errors + m.non_2xx,
            )
            for f in found
            for name, m in f["tenants"].items()
        ],
        f"{PUBLIC_PATH} over the same {PUBLIC_HOT} hot tenants, {args.connections} connections, "
        f"medians of {args.rounds} interleaved rounds",
    )
    print_table(
        (
            "db",
            f"rps@{PUBLIC_SIZES[-1]} / rps@{PUBLIC_SIZES[0]}",
            "median of round ratios",
            "target",
        ),
        [(f["db"], f["ratio"], f["paired_ratio"], f">= {TARGET_RATIO}") for f in found],
        "Ratio",
    )
    publish(
        "tenants_public",
        {
            "settings": vars(args) | {"sizes": PUBLIC_SIZES, "hot": PUBLIC_HOT},
            "target_ratio": TARGET_RATIO,
            "results": found,
        },
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--page", choices=("notes", "public"), default="notes")
    parser.add_argument("--seconds", type=float, default=None, help="default 10 (public: 5)")
    parser.add_argument("--rounds", type=int, default=3, help="public page: interleaved rounds")
    parser.add_argument("--notes", type=int, default=30, help="notes per hot tenant")
    parser.add_argument("--connections", type=int, default=8)
    args, kinds = parse_with_kinds(parser)
    if args.page == "public":
        args.seconds = args.seconds or 5.0
        main_public(args, kinds)
        return
    args.seconds = args.seconds or 10.0

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
