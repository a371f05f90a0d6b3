"""Bounded load test: many tenants, reads and writes at once, and not one row in the wrong place.

64 keep-alive connections (each request picks one of 50 tenants, so one
connection and one server thread serve many tenants in turn) mix GET list,
GET one, POST and PATCH on the notes JSON API with per-tenant API tokens;
5% of requests probe another tenant's note id and must get 404. Every title
written carries ``[<slug>]``, so a response (or a stored row) holding another
tenant's note is caught. Passes with 0 errors and 0 context bleed.

Loopback only, at most 60 s:

    .venv/bin/python -m bench.load [--seconds 30] [--db sqlite]

``tests/test_load.py`` runs a short version of ``run_load`` in CI.
"""

from __future__ import annotations

import argparse
import json
import random
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import create_engine, text

from bench.common import (
    KINDS,
    NOTES_PATH,
    Client,
    Seeded,
    available_kinds,
    free_port,
    migrate,
    percentile,
    print_table,
    scratch_database,
    seed_tenants,
    tenantry_env,
    tenantry_server,
    workspace,
    write_results,
)

MAX_SECONDS = 60
#: Operation -> weight of the mix.
MIX = {"list": 45, "get": 25, "create": 15, "update": 10, "foreign": 5}


@dataclass
class LoadReport:
    seconds: float = 0.0
    requests: int = 0
    by_operation: Counter[str] = field(default_factory=Counter)
    errors: int = 0
    bleed: int = 0
    misfiled_rows: int = 0
    samples: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.requests > 0 and not (self.errors or self.bleed or self.misfiled_rows)

    def summary(self) -> dict[str, Any]:
        ordered = sorted(self.latencies)
        return {
            "seconds": round(self.seconds, 2),
            "requests": self.requests,
            "rps": round(self.requests / self.seconds, 1) if self.seconds else 0.0,
            "p50_ms": round(percentile(ordered, 50) * 1000, 2),
            "p99_ms": round(percentile(ordered, 99) * 1000, 2),
            "by_operation": dict(self.by_operation),
            "errors": self.errors,
            "bleed": self.bleed,
            "misfiled_rows": self.misfiled_rows,
            "samples": self.samples[:10],
        }


class _Run:
    """State shared by the connections: the report and each tenant's known note ids."""

    def __init__(self, port: int, tenants: Sequence[Seeded], host_port: int | None):
        self.port = port
        self.tenants = list(tenants)
        self.host_port = port if host_port is None else host_port
        self.report = LoadReport()
        self.note_ids = {t.slug: list(t.note_ids) for t in tenants}
        self.lock = threading.Lock()

    def fail(self, kind: str, message: str) -> None:
        with self.lock:
            if kind == "bleed":
                self.report.bleed += 1
            else:
                self.report.errors += 1
            if len(self.report.samples) < 50:
                self.report.samples.append(f"{kind}: {message}")

    def connection(self, n: int, deadline: float) -> None:
        rng = random.Random(n)
        client = Client(self.port)
        operations, weights = list(MIX), list(MIX.values())
        i = 0
        while time.perf_counter() < deadline:
            tenant = self.tenants[(n * 7 + i) % len(self.tenants)]
            operation = rng.choices(operations, weights)[0]
            started = time.perf_counter()
            try:
                self.request(client, rng, tenant, operation, f"{n}-{i}")
            except Exception as error:  # count it and go on: the report says what broke
                client.close()
                self.fail("error", f"{operation} {tenant.slug}: {type(error).__name__}: {error}")
            elapsed = time.perf_counter() - started
            with self.lock:
                self.report.requests += 1
                self.report.by_operation[operation] += 1
                self.report.latencies.append(elapsed)
            i += 1
        client.close()

    def request(
        self, client: Client, rng: random.Random, tenant: Seeded, operation: str, tag: str
    ) -> None:
        host = f"{tenant.slug}.localhost:{self.host_port}"
        mark = f"[{tenant.slug}]"

        def call(method: str, path: str, body: Any = None) -> tuple[int, Any]:
            status, raw = client.request(method, path, host, tenant.token, body)
            try:
                return status, json.loads(raw) if raw else None
            except ValueError:
                return status, raw[:200]

        def check_owner(note: Any, what: str) -> None:
            if not isinstance(note, dict) or mark not in str(note.get("title")):
                self.fail("bleed", f"{what} on {tenant.slug} returned {str(note)[:120]}")

        if operation == "list":
            status, body = call("GET", f"{NOTES_PATH}?page={rng.randint(1, 3)}")
            if status != 200:
                return self.fail("error", f"list {tenant.slug}: {status} {body}")
            for note in body["items"]:
                check_owner(note, "list")
        elif operation == "get":
            note_id = rng.choice(self.note_ids[tenant.slug])
            status, body = call("GET", f"{NOTES_PATH}/{note_id}")
            if status != 200:
                return self.fail("error", f"get {tenant.slug}/{note_id}: {status} {body}")
            check_owner(body, "get")
        elif operation == "foreign":
            other = rng.choice([t for t in self.tenants if t.slug != tenant.slug])
            note_id = rng.choice(self.note_ids[other.slug])
            status, body = call("GET", f"{NOTES_PATH}/{note_id}")
            if status == 200:
                self.fail("bleed", f"{tenant.slug} read {other.slug}'s note {note_id}: {body}")
            elif status != 404:
                self.fail("error", f"foreign get {tenant.slug}/{note_id}: {status} {body}")
        elif operation == "create":
            note = {"title": f"{mark} load {tag}", "body": "written under load", "tags": ["load"]}
            status, body = call("POST", NOTES_PATH, note)
            if status != 201:
                return self.fail("error", f"create {tenant.slug}: {status} {body}")
            check_owner(body, "create")
            with self.lock:
                self.note_ids[tenant.slug].append(body["id"])
        elif operation == "update":
            note_id = rng.choice(self.note_ids[tenant.slug])
            status, body = call("PATCH", f"{NOTES_PATH}/{note_id}", {"title": f"{mark} {tag}"})
            if status != 200:
                return self.fail("error", f"update {tenant.slug}/{note_id}: {status} {body}")
            check_owner(body, "update")


def run_load(
    port: int,
    tenants: Sequence[Seeded],
    connections: int,
    seconds: float,
    host_port: int | None = None,
) -> LoadReport:
    """Drive the server on ``port``; hosts carry ``host_port`` (default: ``port``)."""
    seconds = min(seconds, MAX_SECONDS)
    run = _Run(port, tenants, host_port)
    deadline = time.perf_counter() + seconds
    threads = [
        threading.Thread(target=run.connection, args=(n, deadline), daemon=True)
        for n in range(connections)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    run.report.seconds = time.perf_counter() - started
    return run.report


def misfiled_notes(owner_url: str) -> list[tuple[str, str]]:
    """Stored notes whose title does not carry their own tenant's slug (should be none)."""
    engine = create_engine(owner_url)
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT set_config('tenantry.all_tenants', 'on', true)"))
        rows = connection.execute(
            text(
                "SELECT t.slug, n.title FROM notes_note n"
                " JOIN tenantry_tenant t ON t.id = n.tenant_id"
            )
        ).all()
    engine.dispose()
    return [(slug, title) for slug, title in rows if f"[{slug}]" not in title]


def run_kind(kind: str, seconds: float, connections: int, tenants: int) -> dict[str, Any]:
    with workspace("load") as work:
        database = scratch_database(kind, work)
        try:
            port = free_port()
            env = tenantry_env(database, work, port)
            migrate(env)
            seeded = seed_tenants(database.owner_url, tenants, notes=20, prefix="load")
            with tenantry_server(env):
                report = run_load(port, seeded, connections, seconds)
            misfiled = misfiled_notes(database.owner_url)
            report.misfiled_rows = len(misfiled)
            report.samples += [f"misfiled: {slug}: {title}" for slug, title in misfiled[:5]]
        finally:
            database.drop()
    return {"db": kind, "connections": connections, "tenants": tenants, **report.summary()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0, help=f"at most {MAX_SECONDS}")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--tenants", type=int, default=50)
    parser.add_argument("--db", choices=KINDS, action="append", help="default: both")
    args = parser.parse_args()
    if not 0 < args.seconds <= MAX_SECONDS:
        parser.error(f"--seconds must be in (0, {MAX_SECONDS}]")

    kinds = available_kinds(args.db or KINDS)
    seconds = args.seconds / len(kinds)  # the whole command stays within --seconds of load
    results = [run_kind(kind, seconds, args.connections, args.tenants) for kind in kinds]
    path = write_results("load", {"settings": vars(args), "mix": MIX, "runs": results})
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
    print(f"\nwrote {path}")
    failed = [r["db"] for r in results if r["errors"] or r["bleed"] or r["misfiled_rows"]]
    if failed:
        raise SystemExit(f"FAILED on {', '.join(failed)}")
    print("PASS: 0 errors, 0 context bleed, 0 misfiled rows")


if __name__ == "__main__":
    main()
