"""What the per-request settings an operator can turn off cost, over real waitress.

The public page (``bench/publicpage``) served by tenantry servers that differ
only in settings — as shipped (metrics on, one log line per request), with
``metrics_enabled=false``, with ``log_level=WARNING`` (no request line), with
both off — and by the bare twin (``bench.bare_app``), side by side on one
database. Each round drives every server once (``wrk``, 8 connections), the
starting server rotating from round to round; reported are the medians of the
rounds: req/s, and the server process's user and system CPU per request (read
from ``/proc/<pid>/stat`` around each drive). ``bench.ledger`` says what the
parts cost in-process; this says what they cost under a threaded server, where
a log line's write and every extra Python call also hand the GIL between 8
threads.

    .venv/bin/python -m bench.settings_cost [--db postgres] [--rounds 5] [--seconds 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
from contextlib import ExitStack
from typing import Any

from bench.harness.loadgen import LoadResult, Target, drive
from bench.harness.publicpage import PLUGIN, ensure_installed
from bench.harness.reports import print_table, publish
from bench.harness.scenario import parse_with_kinds, scenario
from bench.harness.seeding import public_rows
from bench.harness.servers import bare_server
from bench.page import PATH
from tenantry.testing import ROOT, free_port

TENANTS = 10
NOTES = 200
CONNECTIONS = 8
VARIANTS: dict[str, dict[str, str]] = {
    "tenantry as shipped": {},
    "metrics_enabled=false": {"TENANTRY_METRICS_ENABLED": "false"},
    "log_level=WARNING": {"TENANTRY_LOG_LEVEL": "WARNING"},
    "both off": {"TENANTRY_METRICS_ENABLED": "false", "TENANTRY_LOG_LEVEL": "WARNING"},
}
_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> tuple[float, float]:
    """The process's user and system CPU time so far (all its threads)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rpartition(")")[2].split()
    return int(fields[11]) / _TICKS, int(fields[12]) / _TICKS


def measured(pid: int, port: int, targets: list[Target], seconds: float) -> dict[str, float]:
    drive(port, PATH, targets, CONNECTIONS, 0.5, 0.0)  # warm after the others' turn
    user, system = cpu_seconds(pid)
    result: LoadResult = drive(port, PATH, targets, CONNECTIONS, seconds, 0.0)
    user_after, system_after = cpu_seconds(pid)
    if result.errors or result.non_2xx:
        raise RuntimeError(f"{result.errors} errors, {result.non_2xx} non-2xx answers")
    per = 1000 / max(result.requests, 1)
    return {
        "rps": result.rps,
        "user_ms": (user_after - user) * per,
        "system_ms": (system_after - system) * per,
    }


def measure_kind(kind: str, rounds: int, seconds: float) -> list[dict[str, Any]]:
    with scenario("settings-cost", kind) as run, ExitStack() as stack:
        tenants = run.seed(TENANTS, notes=NOTES, public_notes=NOTES, plugins=("notes", PLUGIN))
        bare_database = run.bare_database(NOTES, public_rows(tenants[0].slug, NOTES))
        servers: dict[str, tuple[int, int, list[Target]]] = {}
        for name, env in VARIANTS.items():
            port = free_port()
            server = stack.enter_context(run.server(TENANTRY_PORT=str(port), **env))
            servers[name] = (server.pid, port, [Target(t.host(port)) for t in tenants])
        bare = stack.enter_context(bare_server(bare_database, free_port()))
        servers["bare Flask + SQLAlchemy"] = (bare.pid, bare.port, [Target(ROOT)])
        found: dict[str, list[dict[str, float]]] = {name: [] for name in servers}
        names = list(servers)
        for n in range(rounds):
            for name in names[n % len(names) :] + names[: n % len(names)]:
                found[name].append(measured(*servers[name], seconds))
            print(f"  {kind} round {n + 1}/{rounds} done", flush=True)
    shipped = statistics.median(r["rps"] for r in found["tenantry as shipped"])
    rows = []
    for name, results in found.items():
        rps = statistics.median(r["rps"] for r in results)
        rows.append(
            {
                "db": kind,
                "server": name,
                "rps": round(rps, 1),
                "vs_shipped": round(rps / shipped, 3),
                "user_ms": round(statistics.median(r["user_ms"] for r in results), 3),
                "system_ms": round(statistics.median(r["system_ms"] for r in results), 3),
                "rounds_rps": [round(r["rps"], 1) for r in results],
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=5.0)
    args, kinds = parse_with_kinds(parser)
    ensure_installed()
    rows = [row for kind in kinds for row in measure_kind(kind, args.rounds, args.seconds)]
    columns = ("db", "server", "rps", "vs_shipped", "user_ms", "system_ms")
    table = [
        [*(r[c] for c in columns), " ".join(f"{x:.0f}" for x in r["rounds_rps"])] for r in rows
    ]
    print_table(
        ("db", "server", "req/s", "/ as shipped", "user CPU ms/req", "sys CPU ms/req", "rounds"),
        table,
        f"{PATH}, medians of {args.rounds} rotated rounds of {args.seconds:.0f} s",
    )
    publish("settings_cost", {"settings": vars(args), "rows": rows})


if __name__ == "__main__":
    main()
