"""What metrics cost per request: the notes JSON page with metrics on and off, same run.

Two tenantry servers on the same seeded database, one with ``metrics_enabled`` and one
without, driven in turn (on, off, on, off, ...) so machine noise falls on both alike;
the ratio of the medians is the cost (issue 20 asks for <= 2%). ``--in-process`` drives
two apps in this process through the WSGI test client instead (no sockets, no load
generator: the app's own time per request, which a busy machine disturbs less).

    .venv/bin/python -m bench.metrics [--seconds 5] [--rounds 4] [--db sqlite] [--in-process]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import timeit
from typing import Any

from bench.harness.loadgen import Target, drive
from bench.harness.reports import print_table, publish
from bench.harness.scenario import parse_with_kinds, scenario
from bench.harness.seeding import NOTES_PATH
from bench.harness.servers import get, tenantry_server
from tenantry.testing import client_for, free_port

CONNECTIONS = 8


def measure_kind(kind: str, seconds: float, rounds: int) -> dict[str, Any]:
    with scenario("metrics", kind) as run:
        [tenant] = run.seed(1, notes=100)
        off_port = free_port()
        off_env = run.env | {
            "TENANTRY_METRICS_ENABLED": "false",
            "TENANTRY_PORT": str(off_port),
            "TENANTRY_SERVER_NAME": run.env["TENANTRY_SERVER_NAME"].rsplit(":", 1)[0]
            + f":{off_port}",
        }
        with run.server(TENANTRY_METRICS_ENABLED="true"), tenantry_server(off_env):
            targets = {
                "on": (run.port, Target(tenant.host(run.port), tenant.token)),
                "off": (off_port, Target(tenant.host(off_port), tenant.token)),
            }
            for port, target in targets.values():
                status, _page = get(port, NOTES_PATH, target.host, target.token)
                assert status == 200, status
                drive(port, NOTES_PATH, [target], CONNECTIONS, 1.0)  # warm up
            rps: dict[str, list[float]] = {"on": [], "off": []}
            for _ in range(rounds):
                for name, (port, target) in targets.items():
                    rps[name].append(drive(port, NOTES_PATH, [target], CONNECTIONS, seconds).rps)
    on, off = statistics.median(rps["on"]), statistics.median(rps["off"])
    return {"db": kind, "on_rps": on, "off_rps": off, "ratio": round(on / off, 3), "runs": rps}


def measure_in_process(kind: str, requests: int, rounds: int) -> dict[str, Any]:
    """Milliseconds per request of two in-process apps (metrics on, off), interleaved."""
    with scenario("metrics", kind) as run:
        [tenant] = run.seed(1, notes=100)
        apps = {}
        for name, enabled in (("on", "true"), ("off", "false")):
            os.environ["TENANTRY_METRICS_ENABLED"] = enabled
            apps[name] = run.app()
        os.environ.pop("TENANTRY_METRICS_ENABLED")
        headers = {"Authorization": f"Bearer {tenant.token}"}
        clients = {name: client_for(app, tenant.host(run.port)) for name, app in apps.items()}
        for client in clients.values():
            for _ in range(50):  # warm up: caches, pools, compiled statements
                assert client.get(NOTES_PATH, headers=headers).status_code == 200
        ms: dict[str, list[float]] = {"on": [], "off": []}
        for _ in range(rounds):
            for name, client in clients.items():
                started = time.perf_counter()
                for _ in range(requests):
                    client.get(NOTES_PATH, headers=headers)
                ms[name].append(round((time.perf_counter() - started) / requests * 1000, 3))
    on, off = statistics.median(ms["on"]), statistics.median(ms["off"])
    # Requests/s are the inverse of the time per request: the same ratio as the servers'.
    return {
        "db": kind,
        "on_rps": round(1000 / on, 1),
        "off_rps": round(1000 / off, 1),
        "ratio": round(off / on, 3),
        "runs": ms,
    }


def recorder_cost(statements: int = 3, repeat: int = 20_000) -> float:
    """Microseconds the recorder adds to one request of ``statements`` statements: the
    tally, the engine events and ``Instrument.record`` (no app, no I/O)."""
    from tenantry.instrument import Instrument, Tally, _after_cursor, _before_cursor, _tally
    from tenantry.settings import load_settings

    recorder = Instrument(load_settings(env="test", database_url="sqlite://"))
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": NOTES_PATH}

    def one() -> None:
        tally = Tally()
        token = _tally.set(tally)
        for _ in range(statements):
            _before_cursor()
            _after_cursor()
        tally.status, tally.group = "200", "notes"
        _tally.reset(token)
        recorder.record(tally, 0.001, environ)

    return min(timeit.repeat(one, number=repeat, repeat=5)) / repeat * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="per measured run")
    parser.add_argument("--rounds", type=int, default=4, help="on/off pairs")
    parser.add_argument("--in-process", action="store_true", help="WSGI test client, no sockets")
    parser.add_argument("--requests", type=int, default=500, help="per in-process run")
    args, kinds = parse_with_kinds(parser)
    results = [
        measure_in_process(kind, args.requests, args.rounds)
        if args.in_process
        else measure_kind(kind, args.seconds, args.rounds)
        for kind in kinds
    ]
    print_table(
        ("db", "metrics on req/s", "metrics off req/s", "on/off"),
        [(r["db"], r["on_rps"], r["off_rps"], f"{r['ratio']:.3f}") for r in results],
        f"Notes page ({'in process' if args.in_process else f'{CONNECTIONS} connections'}), "
        f"median of {args.rounds} interleaved runs",
    )
    cost = recorder_cost()
    print(f"\nthe recorder alone: {cost:.1f} us per request of 3 statements")
    publish("metrics", {"settings": vars(args), "results": results, "recorder_us": cost})


if __name__ == "__main__":
    main()
