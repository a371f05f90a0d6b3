"""What the signed tenant setting costs a request: its MAC checked by row-level security,
against the same policies trusting the tenant id in the setting unchecked.

One PostgreSQL database, one server, the notes JSON page (API token, three statements).
Between interleaved rounds (checked, unchecked, checked, ...) the isolation policy of
every tenant table is switched with ALTER POLICY, so both arms run the same code on the
same data and the same warm caches; the ratio of the medians is the price of the check.
Two costs per statement are timed directly as well: the check itself (one call of the
function the policies use), and the hook that keeps each connection's settings in step,
which both arms pay.

    .venv/bin/python -m bench.rls [--seconds 5] [--rounds 3] [--connections 8]
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from bench.harness.loadgen import Target, drive
from bench.harness.reports import print_table, publish
from bench.harness.scenario import scenario
from bench.harness.seeding import NOTES_PATH
from bench.harness.servers import get
from tenantry import tenant_context
from tenantry.db import db
from tenantry.tenancy import rls
from tenantry.tenancy.context import TenantRef

CHECKED = "tenant_id = (SELECT public.tenantry_current_tenant())"
UNCHECKED = (
    "tenant_id = (SELECT NULLIF(split_part("
    "current_setting('tenantry.tenant_id', true), '.', 1), '')::integer)"
)


def set_policies(owner_url: str, condition: str) -> None:
    """Between rounds; requests still finishing may hold a table, so wait and retry."""
    engine = create_engine(owner_url)
    for attempt in range(5):
        time.sleep(1)
        try:
            with engine.begin() as connection:
                tables = connection.execute(
                    text("SELECT tablename FROM pg_policies WHERE policyname = :p"),
                    {"p": rls.POLICY},
                ).scalars()
                for table in tables:
                    connection.execute(
                        text(
                            f'ALTER POLICY {rls.POLICY} ON "{table}" '
                            f"USING ({condition}) WITH CHECK ({condition})"
                        )
                    )
            break
        except OperationalError:  # a deadlock with a request in flight: PostgreSQL chose us
            if attempt == 4:
                raise
    engine.dispose()


def in_process_costs_us(run: Any, tenant_id: int, statements: int = 3000, rounds: int = 5) -> dict:
    """Two costs per statement, as medians of interleaved rounds, on connections whose
    settings are in step (the tenant's token set by the hook):

    - the hook: CPU time of this process for ``SELECT 1`` with it and without it (a plain
      engine on the same URL); CPU time, so the database's share is left out;
    - the check: wall time of ``SELECT (SELECT public.tenantry_current_tenant())``, what
      each policy evaluates once per statement and table, against ``SELECT 1``.
    """
    app = run.app()
    with app.app_context():
        plain = create_engine(run.database.app_url)
        cases = {
            "hook, CPU": (db.engine, "SELECT 1", time.process_time),
            "no hook, CPU": (plain, "SELECT 1", time.process_time),
            "check": (
                db.engine,
                "SELECT (SELECT public.tenantry_current_tenant())",
                time.perf_counter,
            ),
            "no check": (db.engine, "SELECT 1", time.perf_counter),
        }
        times: dict[str, list[float]] = {label: [] for label in cases}
        with tenant_context(TenantRef(tenant_id, "t", "t")):
            for _ in range(rounds):
                for label, (engine, sql, clock) in cases.items():
                    with engine.connect() as connection:
                        assert connection.exec_driver_sql(sql).scalar() in (1, tenant_id)
                        started = clock()
                        for _ in range(statements):
                            connection.exec_driver_sql(sql)
                        times[label].append((clock() - started) / statements * 1e6)
        for engine in (plain, db.engine, db.platform_engine):
            engine.dispose()
    return {label: round(statistics.median(values), 1) for label, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="per measured round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of each arm (>= 3)")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--notes", type=int, default=100)
    args = parser.parse_args()

    rows: list[dict[str, Any]] = []
    with scenario("rls", "postgres") as run:
        [tenant] = run.seed(1, notes=args.notes)
        target = Target(tenant.host(run.port), tenant.token)
        with run.server():
            status, body = get(run.port, NOTES_PATH, target.host, target.token)
            assert status == 200, body[:300]
            for round_ in range(args.rounds):
                for arm, condition in (("checked", CHECKED), ("unchecked", UNCHECKED)):
                    set_policies(run.database.owner_url, condition)
                    result = drive(run.port, NOTES_PATH, [target], args.connections, args.seconds)
                    assert result.non_2xx == result.errors == 0, result
                    rows.append({"round": round_ + 1, "arm": arm, **vars(result)})
        set_policies(run.database.owner_url, CHECKED)
        costs = in_process_costs_us(run, tenant.id)

    medians = {
        arm: statistics.median(r["rps"] for r in rows if r["arm"] == arm)
        for arm in ("checked", "unchecked")
    }
    ratio = round(medians["checked"] / medians["unchecked"], 3)
    print_table(
        ("round", "arm", "req/s", "p50 ms", "p99 ms"),
        [[r["round"], r["arm"], r["rps"], r["p50_ms"], r["p99_ms"]] for r in rows],
        f"Rounds ({args.connections} connections, {args.seconds:.0f} s each)",
    )
    print_table(
        ("checked req/s", "unchecked req/s", "checked/unchecked"),
        [(medians["checked"], medians["unchecked"], f"{ratio:.3f}")],
        "Medians",
    )
    print_table(
        tuple(costs),
        [tuple(costs.values())],
        "Per statement, us (hook: this process's CPU; check: wall time, one call)",
    )
    publish(
        "rls",
        {
            "settings": vars(args),
            "runs": rows,
            "medians_rps": medians,
            "ratio_checked_to_unchecked": ratio,
            "statement_us": costs,
        },
    )


if __name__ == "__main__":
    main()
