"""What each part of tenantry costs per request, measured by taking it out.

The throughput ratio says how far tenantry is from the bare app; this says what
the distance is made of. The public page (``bench/publicpage``) is served
in-process through WSGI (no sockets, one thread) by the whole app, by copies
with one part taken out, and by the bare twin (``bench.bare_app``), in many
short interleaved rounds (a few dozen requests each: this machine's speed drifts
by ±20 % over seconds, which longer rounds would charge to whichever variant ran
then); each variant's CPU time per request (``time.process_time``) is the
median of its rounds. Beside the time, the Python function calls each variant
makes per request (counted by ``cProfile``: exact, where the time is not). A
part's cost is the whole's calls and time minus those without it; what no part
explains is the tenant gate itself (Host to tenant, the row-level security
settings and the tenant's state in the first round trip, the scoped session and
query), which no request on a tenant's host can go without. The request log writes to
``/dev/null`` here (a server writes it to a pipe or file).

    .venv/bin/python -m bench.ledger [--db postgres] [--requests 30] [--rounds 150]

Measuring tool only: the copies are changed after ``create_app`` (hooks and
middleware removed), never by a setting the product offers.
"""

from __future__ import annotations

import argparse
import cProfile
import logging
import os
import pstats
import statistics
import time
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask
from sqlalchemy import event
from werkzeug.test import Client

from bench import bare_app
from bench.harness.publicpage import PLUGIN, ensure_installed
from bench.harness.reports import print_table, publish
from bench.harness.scenario import Scenario, parse_with_kinds, scenario
from bench.harness.seeding import public_rows
from bench.page import PATH
from tenantry import instrument, request_signals, requestlog
from tenantry.admin.sites import open_platform_scope
from tenantry.db import db
from tenantry.health import Probes
from tenantry.hostheader import HostHeader
from tenantry.proxies import ForwardedHeaders
from tenantry.testing import ROOT

TENANTS = 10
NOTES = 200
WSGI_LAYERS = (ForwardedHeaders, HostHeader, requestlog.RequestIds, Probes)


def _hooks(app: Flask, names: Iterable[str]) -> None:
    """Take the hooks called ``names`` out of every before/after/teardown list."""
    wanted = set(names)
    for table in (app.before_request_funcs, app.after_request_funcs, app.teardown_request_funcs):
        for key, funcs in table.items():
            table[key] = [f for f in funcs if getattr(f, "__name__", "") not in wanted]


def _unwrap(app: Flask, kinds: tuple[type, ...]) -> None:
    """Rebuild the WSGI chain without the middleware of ``kinds``."""
    layers: list[Any] = []
    inner: Any = app.wsgi_app
    while hasattr(inner, "app") and not isinstance(inner, Flask):
        layers.append(inner)
        inner = inner.app
    for layer in reversed(layers):
        if not isinstance(layer, kinds):
            layer.app, inner = inner, layer
    app.wsgi_app = inner  # type: ignore[method-assign]


def without_request_log(app: Flask) -> None:
    _hooks(app, ["start_timer", "log_request"])


def without_metrics(app: Flask) -> None:
    _unwrap(app, (instrument.RequestMetrics,))
    _hooks(app, ["note_request"])
    with app.app_context():
        for engine in {db.engine, db.platform_engine}:
            event.remove(engine, "before_cursor_execute", instrument._before_cursor)
            event.remove(engine, "after_cursor_execute", instrument._after_cursor)


def without_wsgi_layers(app: Flask) -> None:
    _unwrap(app, WSGI_LAYERS)


def without_browser_protections(app: Flask) -> None:
    # add_headers: the hook security.response_headers makes.
    _hooks(app, ["refuse_nul_characters", "protect_forms", "add_headers"])


def without_plugin_gate_and_signals(app: Flask) -> None:
    _hooks(
        app,
        [
            "gate",
            open_platform_scope.__name__,
            request_signals.announce_start.__name__,
            request_signals.announce_finish.__name__,
        ],
    )


def without_login_cookie_hook(app: Flask) -> None:
    _hooks(app, ["_update_remember_cookie"])


PARTS: dict[str, Callable[[Flask], None]] = {
    "request log (one line per request)": without_request_log,
    "metrics and usage counts": without_metrics,
    "WSGI layers: proxies, Host, request id, probes": without_wsgi_layers,
    "NUL check, CSRF check, security headers": without_browser_protections,
    "plugin gate, platform scope, request signals": without_plugin_gate_and_signals,
    "Flask-Login's remember-cookie hook": without_login_cookie_hook,
}


def _quiet_request_log() -> None:
    """The request log's lines go to /dev/null (kept at INFO: the line is still built)."""
    for handler in logging.getLogger("tenantry").handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(open(os.devnull, "w"))  # noqa: SIM115 (open for the run)


def _caller(app: Flask, hosts: list[str]) -> Callable[[], None]:
    client = Client(app)
    turn = [0]

    def call() -> None:
        turn[0] = (turn[0] + 1) % len(hosts)
        response = client.get(PATH, headers={"Host": hosts[turn[0]]})
        assert response.status_code == 200, response.data[:200]

    return call


def calls_per_request(call: Callable[[], None], requests: int = 20) -> float:
    """Python function calls one request makes (the same every time: no sampling)."""
    profile = cProfile.Profile()
    profile.runcall(lambda: [call() for _ in range(requests)])
    return pstats.Stats(profile).total_calls / requests  # type: ignore[attr-defined]


def measure_kind(run: Scenario, requests: int, rounds: int) -> dict[str, Any]:
    tenants = run.seed(TENANTS, notes=NOTES, public_notes=NOTES, plugins=("notes", PLUGIN))
    hosts = [tenant.host(run.port) for tenant in tenants]
    bare_database = run.bare_database(NOTES, public_rows(tenants[0].slug, NOTES))
    calls: dict[str, Callable[[], None]] = {"tenantry": _caller(run.app(), hosts)}
    for name, take_out in PARTS.items():
        app = run.app()
        take_out(app)
        calls[f"without {name}"] = _caller(app, hosts)
    bare_client = Client(bare_app.create_app(bare_database.app_url))

    def bare() -> None:
        assert bare_client.get(PATH, headers={"Host": ROOT}).status_code == 200

    calls["bare"] = bare
    _quiet_request_log()
    for call in calls.values():
        for _ in range(100):
            call()  # warm pools, caches, prepared statements
    spent: dict[str, list[float]] = {name: [] for name in calls}
    for n in range(rounds):
        names = list(calls)
        order = names[n % len(names) :] + names[: n % len(names)]  # each starts in turn
        for name in order:
            started = time.process_time()
            for _ in range(requests):
                calls[name]()
            spent[name].append((time.process_time() - started) / requests * 1e6)
        if (n + 1) % 25 == 0:
            print(f"  round {n + 1}/{rounds} done", flush=True)
    us = {name: statistics.median(found) for name, found in spent.items()}
    calls_of = {name: calls_per_request(call) for name, call in calls.items()}

    def saved(name: str) -> tuple[float, float]:
        """What taking the part out saves: calls and µs per request."""
        key = f"without {name}"
        return calls_of["tenantry"] - calls_of[key], us["tenantry"] - us[key]

    rows = {"tenantry (whole)": (calls_of["tenantry"], us["tenantry"])}
    rows["bare app"] = (calls_of["bare"], us["bare"])
    rows["added by tenantry"] = (
        calls_of["tenantry"] - calls_of["bare"],
        us["tenantry"] - us["bare"],
    )
    for name in PARTS:
        rows[f"  {name}"] = saved(name)
    explained = [rows[f"  {name}"] for name in PARTS]
    rows["  tenant gate and the rest"] = (
        rows["added by tenantry"][0] - sum(calls for calls, _ in explained),
        rows["added by tenantry"][1] - sum(cost for _, cost in explained),
    )
    return {
        "db": run.kind,
        "rows": {name: {"calls": round(c), "cpu_us": round(t, 1)} for name, (c, t) in rows.items()},
        "rounds_us": {name: [round(us, 1) for us in found] for name, found in spent.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=30, help="per variant and round")
    parser.add_argument("--rounds", type=int, default=150)
    args, kinds = parse_with_kinds(parser)
    ensure_installed()
    found = []
    for kind in kinds:
        with scenario("ledger", kind) as run:
            found.append(measure_kind(run, args.requests, args.rounds))
    for item in found:
        print_table(
            ("part", "Python calls per request", "CPU µs per request"),
            [(name, r["calls"], r["cpu_us"]) for name, r in item["rows"].items()],
            f"{item['db']}: public page, in-process, medians of {args.rounds} rounds",
        )
    publish("ledger", {"settings": vars(args), "kinds": found})


if __name__ == "__main__":
    main()
