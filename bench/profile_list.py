"""Where the time of one request goes: statements sent, CPU per request, a profile.

The throughput ratio says *how much* tenantry adds over the bare app; this
says *what*. Both apps are called in-process through WSGI (no sockets, one
thread), so the per-request time is pure Python + database work; the SQL
sent per request is logged, and pyinstrument profiles tenantry's requests.

    .venv/bin/python -m bench.profile_list [--db postgres] [--requests 500] [--page public]

``--page notes`` (the default) is the token-authenticated notes list; ``--page public``
the bench plugin's public page (``bench/publicpage``, no login, one query).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

from pyinstrument import Profiler
from sqlalchemy import Engine, event
from werkzeug.test import Client

from bench import bare_app
from bench.harness.publicpage import PLUGIN, ensure_installed
from bench.harness.reports import print_table, publish
from bench.harness.scenario import parse_with_kinds, scenario
from bench.harness.seeding import NOTES_PATH, public_rows
from bench.page import PATH as PUBLIC_PATH
from tenantry.db import db
from tenantry.testing import ROOT


def statements_of(engine: Engine, call: Callable[[], Any]) -> list[str]:
    sent: list[str] = []

    def log(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(" ".join(statement.split())[:110])

    event.listen(engine, "before_cursor_execute", log)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", log)
    return sent


def per_request_ms(call: Callable[[], Any], requests: int) -> float:
    for _ in range(50):
        call()
    started = time.perf_counter()
    for _ in range(requests):
        call()
    return (time.perf_counter() - started) / requests * 1000


def profile_kind(kind: str, requests: int, notes: int, page: str) -> dict[str, Any]:
    public = page == "public"
    path = PUBLIC_PATH if public else NOTES_PATH
    if public:
        ensure_installed()
    with scenario("profile", kind) as run:
        plugins = ("notes", PLUGIN) if public else ("notes",)
        [tenant] = run.seed(1, notes=notes, public_notes=notes, plugins=plugins)
        bare_database = run.bare_database(notes, public_rows(tenant.slug, notes) if public else ())
        app = run.app()
        client = Client(app)
        headers = {"Host": tenant.host(run.port)}
        bare_headers = {"Host": ROOT}
        if not public:
            headers["Authorization"] = f"Bearer {tenant.token}"
            bare_headers["Authorization"] = f"Bearer {bare_app.TOKEN}"

        def ours() -> None:
            response = client.get(path, headers=headers)
            assert response.status_code == 200, response.data[:200]

        bare_client = Client(bare_app.create_app(bare_database.app_url))

        def theirs() -> None:
            assert bare_client.get(path, headers=bare_headers).status_code == 200

        with app.app_context():
            engine = db.engine
        ours()  # the resolver and enabled-plugins caches are warm in steady state
        ours_sql = statements_of(engine, ours)
        tenantry_ms = per_request_ms(ours, requests)
        bare_ms = per_request_ms(theirs, requests)
        profiler = Profiler(interval=0.0005)
        profiler.start()
        for _ in range(requests):
            ours()
        profiler.stop()
        text = profiler.output_text(unicode=False, color=False, show_all=False)
    return {
        "db": kind,
        "page": page,
        "tenantry_ms_per_request": round(tenantry_ms, 3),
        "bare_ms_per_request": round(bare_ms, 3),
        "in_process_ratio": round(bare_ms / tenantry_ms, 3),
        "statements_per_request": len(ours_sql),
        "statements": ours_sql,
        "profile": text,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--notes", type=int, default=100)
    parser.add_argument("--page", choices=("notes", "public"), default="notes")
    args, kinds = parse_with_kinds(parser)
    found = [profile_kind(kind, args.requests, args.notes, args.page) for kind in kinds]
    for item in found:
        print(f"\n=== {item['db']}: SQL sent by one tenantry request ===")
        for n, statement in enumerate(item["statements"], 1):
            print(f"{n:2}. {statement}")
        print(item["profile"])
    print_table(
        ("db", "tenantry ms/req", "bare ms/req", "bare/tenantry", "statements"),
        [
            (
                i["db"],
                i["tenantry_ms_per_request"],
                i["bare_ms_per_request"],
                i["in_process_ratio"],
                i["statements_per_request"],
            )
            for i in found
        ],
        f"In-process cost of the {args.page} page (one thread, no sockets)",
    )
    publish(f"profile_{args.page}", {"requests": args.requests, "kinds": found})


if __name__ == "__main__":
    main()
