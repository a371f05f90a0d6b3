"""What a balancer in front costs, and how long a process dying under writes hurts.

1. Balancer cost: the notes JSON page (token auth) from one tenantry process,
   reached directly, through HAProxy and through nginx (``deploy/``'s files),
   in interleaved rounds (direct, haproxy, nginx, direct, ...); medians of the
   rounds and their ratios to direct, all from the same run.
2. Failover: two processes behind each balancer, a POST load from 8
   connections, ``kill -9`` of one process 1.5 s in; the failed requests, the
   window from the kill to the last failure, and acknowledged writes lost
   (must be 0), over ``--failovers`` kills per balancer.

PostgreSQL only (production's database), loopback only, about 2 minutes:

    .venv/bin/python -m bench.topology [--seconds 5] [--rounds 3] [--failovers 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from contextlib import ExitStack
from typing import Any

from bench.harness.loadgen import Target, drive
from bench.harness.reports import print_table, publish
from bench.harness.scenario import scenario
from bench.harness.seeding import NOTES_PATH
from tenantry.testing import free_port, postgres_unavailable
from tenantry.testing.balancers import balancer
from tenantry.testing.daemons import HAPROXY, NGINX, missing
from tenantry.testing.failover import write_through_failover
from tenantry.testing.processes import Server, tenantry_server

CONNECTIONS = 8
TRUST_LOOPBACK = {"TENANTRY_TRUSTED_PROXY_ADDRESSES": '["127.0.0.1"]'}


def balancer_cost(seconds: float, rounds: int) -> dict[str, Any]:
    with scenario("topology", "postgres") as run:
        [tenant] = run.seed(1, notes=100)
        with ExitStack() as stack:
            stack.enter_context(run.server(**TRUST_LOOPBACK))
            ports = {"direct": run.port}
            for kind in ("haproxy", "nginx"):
                ports[kind] = stack.enter_context(balancer(kind, [run.port])).port
            target = Target(tenant.host(run.port), tenant.token)
            samples: dict[str, list[Any]] = {name: [] for name in ports}
            drive(run.port, NOTES_PATH, [target], CONNECTIONS, 2.0, warmup=0)  # warm up
            for _round in range(rounds):
                for name, port in ports.items():
                    samples[name].append(
                        drive(port, NOTES_PATH, [target], CONNECTIONS, seconds, warmup=0.5)
                    )
    medians = {
        name: {
            "rps": statistics.median(r.rps for r in results),
            "p50_ms": statistics.median(r.p50_ms for r in results),
            "p99_ms": statistics.median(r.p99_ms for r in results),
            "errors": sum(r.errors + r.non_2xx for r in results),
            "rounds_rps": [r.rps for r in results],
        }
        for name, results in samples.items()
    }
    direct = medians["direct"]["rps"]
    for entry in medians.values():
        entry["ratio_to_direct"] = round(entry["rps"] / direct, 3) if direct else None
    return medians


def failovers(count: int) -> dict[str, Any]:
    results: dict[str, list[dict[str, Any]]] = {"nginx": [], "haproxy": []}
    with scenario("failover", "postgres") as run:
        [tenant] = run.seed(1, notes=10)
        env = run.env | TRUST_LOOPBACK
        servers = [tenantry_server(env)]
        servers.append(tenantry_server(env | {"TENANTRY_PORT": str(free_port())}, "tenantry-2"))
        try:
            for server in servers:
                server.start()
            for _ in range(count):
                for kind in results:
                    with balancer(kind, [s.port for s in servers]) as proxy:
                        report = write_through_failover(
                            proxy.port, tenant.host(run.port), tenant.token, servers[0].kill
                        )
                    summary = report.summary()
                    summary["lost"] = len(report.lost(run.database.owner_url))
                    results[kind].append(summary)
                    servers[0] = _restarted(servers[0])
        finally:
            for server in servers:
                server.stop()
    return {
        kind: {
            "runs": runs,
            "failed_median": statistics.median(r["failed"] for r in runs),
            "failed_max": max(r["failed"] for r in runs),
            "window_s_median": statistics.median(r["window_s"] for r in runs),
            "window_s_max": max(r["window_s"] for r in runs),
            "lost_total": sum(r["lost"] for r in runs),
            "acknowledged_total": sum(r["acknowledged"] for r in runs),
        }
        for kind, runs in results.items()
    }


def _restarted(server: Server) -> Server:
    server.stop()
    again = Server(server.argv, server.env, server.port, server.name)
    again.start()
    return again


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="per measured round")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (>= 3)")
    parser.add_argument("--failovers", type=int, default=3, help="kills per balancer")
    args = parser.parse_args()
    reasons = [r for r in (postgres_unavailable(), missing(NGINX), missing(HAPROXY)) if r]
    if reasons:
        sys.exit("cannot run: " + "; ".join(reasons))
    if args.rounds < 3:
        parser.error("--rounds must be at least 3 (medians of fewer mean little)")

    cost = balancer_cost(args.seconds, args.rounds)
    rows = [
        [
            name,
            r["rps"],
            r["ratio_to_direct"],
            r["p50_ms"],
            r["p99_ms"],
            r["errors"],
            " ".join(f"{x:.0f}" for x in r["rounds_rps"]),
        ]
        for name, r in cost.items()
    ]
    print_table(
        ("path to the process", "req/s", "ratio", "p50 ms", "p99 ms", "errors", "rounds req/s"),
        rows,
        f"Balancer cost: notes page, {CONNECTIONS} connections, medians of {args.rounds} "
        "interleaved rounds",
    )
    window = failovers(args.failovers)
    rows = [
        [
            kind,
            len(r["runs"]),
            r["acknowledged_total"],
            r["lost_total"],
            f"{r['failed_median']:g} / {r['failed_max']}",
            f"{r['window_s_median']:.3f} / {r['window_s_max']:.3f}",
        ]
        for kind, r in window.items()
    ]
    print_table(
        ("balancer", "kills", "acknowledged", "lost", "failed median/max", "window s median/max"),
        rows,
        f"Failover: kill -9 of one of two processes under POST load ({CONNECTIONS} connections)",
    )
    publish("topology", {"settings": vars(args), "balancer_cost": cost, "failover": window})
    if any(r["lost_total"] for r in window.values()):
        raise SystemExit("FAILED: acknowledged writes were lost")


if __name__ == "__main__":
    main()
