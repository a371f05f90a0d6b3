"""What resolving a Host costs per request, with 10 and with 10,000 tenants.

In-process (no sockets), so the figures are the resolver's own: a cached answer
(the per-request cost once a process has seen the host) and a cold one (one
indexed lookup), for subdomains and custom domains. The ratio of the cached
cost at 10,000 tenants to that at 10 shows whether resolution grows with the
number of tenants; the baseline is measured in the same run.

    .venv/bin/python -m bench.resolve [--db sqlite]
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from bench.harness.reports import print_table, publish
from bench.harness.scenario import parse_with_kinds, scenario
from bench.harness.seeding import slug_of
from bench.harness.servers import DOMAIN_SUFFIX
from tenantry.db import make_engine
from tenantry.tenancy.resolve import HostResolver
from tenantry.testing import ROOT

SIZES = (10, 10_000)
HOSTS = 10  # hosts resolved per round, spread over the tenant range


def per_call_us(resolver: HostResolver, hosts: list[str], rounds: int) -> float:
    started = time.perf_counter()
    for _ in range(rounds):
        for host in hosts:
            resolver.resolve(host)
    return (time.perf_counter() - started) / (rounds * len(hosts)) * 1e6


def measure(kind: str, size: int) -> dict[str, Any]:
    with scenario("resolve", kind) as run:
        run.seed(size, hot=0, notes=0, plugins=())  # only the tenant and domain rows matter
        slugs = [slug_of(size * i // HOSTS, size) for i in range(HOSTS)]
        engine = make_engine(run.database.app_url)
        row: dict[str, Any] = {"db": kind, "tenants": size}
        for label, suffix in (("subdomain", ROOT), ("domain", DOMAIN_SUFFIX)):
            hosts = [f"{slug}.{suffix}" for slug in slugs]
            cold = HostResolver(engine, ROOT, ttl=3600)
            row[f"{label}_cold_us"] = round(per_call_us(cold, hosts, 1), 1)
            row[f"{label}_cached_us"] = round(per_call_us(cold, hosts, 20_000), 2)
        engine.dispose()
        return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    _args, kinds = parse_with_kinds(parser)
    rows = [measure(kind, size) for kind in kinds for size in SIZES]
    ratios = []
    for kind in {row["db"] for row in rows}:
        small, large = (
            next(r for r in rows if r["db"] == kind and r["tenants"] == n) for n in SIZES
        )
        ratios.append(
            {
                "db": kind,
                "cached_10000_over_10": round(
                    large["subdomain_cached_us"] / small["subdomain_cached_us"], 2
                ),
            }
        )
    print_table(
        [
            "db",
            "tenants",
            "subdomain cold us",
            "subdomain cached us",
            "domain cold us",
            "domain cached us",
        ],
        [
            [
                r["db"],
                r["tenants"],
                r["subdomain_cold_us"],
                r["subdomain_cached_us"],
                r["domain_cold_us"],
                r["domain_cached_us"],
            ]
            for r in rows
        ],
        "Host -> tenant resolution, per call",
    )
    print_table(
        ["db", "cached cost at 10,000 / at 10"],
        [[r["db"], r["cached_10000_over_10"]] for r in ratios],
    )
    publish("resolve", {"rows": rows, "ratios": ratios})


if __name__ == "__main__":
    main()
