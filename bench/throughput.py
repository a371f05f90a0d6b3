"""Requests/s of the notes JSON page: tenantry against a bare Flask app doing the same work.

DESIGN.md ("What a request may cost") sets the goal: tenantry serves the
notes list at >= 0.90x a bare Flask + SQLAlchemy app sending the same query.
Both run under waitress (threads=8) on loopback, against the same kind of
database, driven by the same load generator (wrk, or a threaded Python
client without it) at 8 and 32 connections. ``/healthz`` of each gives the
ceiling of the stack with no database work, for context.

    .venv/bin/python -m bench.throughput [--seconds 10] [--notes 100] [--db sqlite]
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from bench.harness.loadgen import Target, drive
from bench.harness.reports import print_table, publish
from bench.harness.scenario import parse_with_kinds, scenario
from bench.harness.seeding import NOTES_PATH
from bench.harness.servers import THREADS, bare_server, get
from tenantry.testing import ROOT, free_port

CONCURRENCY = (8, 32)
TARGET_RATIO = 0.90


def check_same_page(tenantry_body: bytes, bare_body: bytes) -> None:
    """Both apps must answer the same shape, or the ratio compares different work."""
    ours, theirs = json.loads(tenantry_body), json.loads(bare_body)
    assert set(ours) == set(theirs), (sorted(ours), sorted(theirs))
    assert len(ours["items"]) == len(theirs["items"]) == 20
    assert set(ours["items"][0]) == set(theirs["items"][0])
    assert ours["total"] == theirs["total"]


def measure_kind(kind: str, notes: int, seconds: float, hello_seconds: float) -> list[dict]:
    rows: list[dict[str, Any]] = []

    def measure(app: str, port: int, target: Target) -> bytes:
        """Check the page answers, then /healthz and the page under load; return the page."""
        status, page = get(port, NOTES_PATH, target.host, target.token)
        assert status == 200, (status, page[:300])
        runs = [("/healthz", Target(ROOT), 8, hello_seconds)]
        runs += [(NOTES_PATH, target, connections, seconds) for connections in CONCURRENCY]
        for path, each, connections, length in runs:
            result = drive(port, path, [each], connections, length)
            rows.append(
                {"db": kind, "app": app, "path": path, "connections": connections, **vars(result)}
            )
        return page

    with scenario("throughput", kind) as run:
        [tenant] = run.seed(1, notes=notes)
        bare_database = run.bare_database(notes)
        with run.server():
            ours = measure("tenantry", run.port, Target(tenant.host(run.port), tenant.token))
        with bare_server(bare_database, free_port()) as bare:
            check_same_page(ours, measure("bare", bare.port, Target(ROOT)))
    return rows


def ratios(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for row in rows:
        if row["app"] != "tenantry":
            continue
        bare = next(
            r
            for r in rows
            if r["app"] == "bare"
            and (r["db"], r["path"], r["connections"])
            == (row["db"], row["path"], row["connections"])
        )
        out.append(
            {
                "db": row["db"],
                "path": row["path"],
                "connections": row["connections"],
                "tenantry_rps": row["rps"],
                "bare_rps": bare["rps"],
                "ratio": round(row["rps"] / bare["rps"], 3) if bare["rps"] else None,
            }
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="per measured run")
    parser.add_argument("--hello-seconds", type=float, default=4.0)
    parser.add_argument("--notes", type=int, default=100, help="notes of the tenant")
    args, kinds = parse_with_kinds(parser)

    rows: list[dict[str, Any]] = []
    for kind in kinds:
        rows += measure_kind(kind, args.notes, args.seconds, args.hello_seconds)
    summary = ratios(rows)
    print_table(
        ("db", "app", "path", "conns", "req/s", "p50 ms", "p99 ms", "errors", "non-2xx"),
        [
            [r[k] for k in ("db", "app", "path", "connections", "rps", "p50_ms", "p99_ms")]
            + [r["errors"], r["non_2xx"]]
            for r in rows
        ],
        "Runs",
    )
    print_table(
        ("db", "path", "conns", "tenantry req/s", "bare req/s", "tenantry/bare"),
        [
            (
                s["db"],
                s["path"],
                s["connections"],
                s["tenantry_rps"],
                s["bare_rps"],
                f"{s['ratio']:.3f}" + ("" if s["path"] == "/healthz" else _verdict(s["ratio"])),
            )
            for s in summary
        ],
        f"Ratios (target for the notes page: >= {TARGET_RATIO:.2f})",
    )
    publish(
        "throughput",
        {
            "settings": {"seconds": args.seconds, "notes": args.notes, "threads": THREADS},
            "target_ratio": TARGET_RATIO,
            "runs": rows,
            "ratios": summary,
        },
    )


def _verdict(ratio: float | None) -> str:
    return "  ok" if ratio is not None and ratio >= TARGET_RATIO else "  BELOW TARGET"


if __name__ == "__main__":
    main()
