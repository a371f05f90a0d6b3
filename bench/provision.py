"""Provisioning: creating a tenant with the bundled plugins, and migrating a populated database.

1. Tenant creation, in-process, through the same functions the CLI and the
   admin use (``lifecycle.create`` + ``enablement.enable`` for every loaded
   plugin + commit), mean of 50. Target: < 50 ms.
2. ``tenantry db upgrade`` on a database that already holds 10 or 10,000
   tenants. Method: migrate the core branch alone (plugins disabled), insert
   the tenants with bulk SQL, then time the CLI upgrading to all heads with
   the bundled plugins (their branches create their tables and RLS policies).
   A second, no-op ``db upgrade`` is timed too: it is the CLI's own start-up,
   so "plugin branches" = first - no-op is the migration work itself
   (medians over ``--repeat`` fresh databases).

    .venv/bin/python -m bench.provision [--db sqlite]
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

from bench.harness.reports import print_table, publish
from bench.harness.scenario import parse_with_kinds, scenario
from tenantry.db import db
from tenantry.plugins import enablement
from tenantry.plugins.runtime import runtime
from tenantry.tenancy import lifecycle

CREATES = 50
TARGET_MS = 50.0
SIZES = (10, 10_000)


def time_creates(kind: str, count: int) -> dict[str, Any]:
    with scenario("provision", kind) as run:
        app = run.app()
        times = []
        with app.app_context():
            registry = runtime().registry
            plugins = list(registry.loaded)
            for n in range(count + 1):
                started = time.perf_counter()
                tenant = lifecycle.create(db.session, f"acme{n:03d}", f"Acme {n}")
                for plugin in plugins:
                    enablement.enable(db.session, registry, tenant, plugin)
                db.session.commit()
                if n:  # the first create pays for compiling the statements
                    times.append((time.perf_counter() - started) * 1000)
            db.session.close()
            db.engine.dispose()
    return {
        "db": kind,
        "plugins": plugins,
        "creates": count,
        "mean_ms": round(statistics.mean(times), 2),
        "p50_ms": round(statistics.median(times), 2),
        "max_ms": round(max(times), 2),
    }


def time_upgrade(kind: str, tenants: int, repeat: int) -> dict[str, Any]:
    """Median of ``repeat`` fresh databases: the CLI's start-up alone varies by ~0.5 s."""
    firsts, agains = [], []
    for _ in range(repeat):
        with scenario("upgrade", kind, migrated=False) as run:
            run.migrate(TENANTRY_PLUGINS__ENABLED="[]")
            run.seed(tenants, hot=0, notes=0, plugins=())
            firsts.append(run.migrate())
            agains.append(run.migrate())
    first, again = statistics.median(firsts), statistics.median(agains)
    return {
        "db": kind,
        "tenants": tenants,
        "repeat": repeat,
        "upgrade_s": round(first, 3),
        "noop_upgrade_s": round(again, 3),
        "plugin_branches_s": round(first - again, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--creates", type=int, default=CREATES)
    parser.add_argument("--repeat", type=int, default=3, help="databases per upgrade timing")
    args, kinds = parse_with_kinds(parser)

    creates = [time_creates(kind, args.creates) for kind in kinds]
    upgrades = [time_upgrade(kind, size, args.repeat) for kind in kinds for size in SIZES]
    print_table(
        ("db", "plugins", "creates", "mean ms", "p50 ms", "max ms"),
        [
            (c["db"], ",".join(c["plugins"]), c["creates"], c["mean_ms"], c["p50_ms"], c["max_ms"])
            for c in creates
        ],
        f"Create a tenant with the bundled plugins enabled (target: mean < {TARGET_MS:.0f} ms)",
    )
    print_table(
        ("db", "tenants", "db upgrade s", "no-op upgrade s", "plugin branches s"),
        [
            (u["db"], u["tenants"], u["upgrade_s"], u["noop_upgrade_s"], u["plugin_branches_s"])
            for u in upgrades
        ],
        "`tenantry db upgrade` (core already migrated, tenants inserted; then plugin branches)",
    )
    publish(
        "provision",
        {
            "target_create_ms": TARGET_MS,
            "method": __doc__.split("\n\n")[1:3],
            "creates": creates,
            "upgrades": upgrades,
        },
    )


if __name__ == "__main__":
    main()
