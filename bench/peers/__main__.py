"""Tenantry's public page against its peers, in one interleaved run on PostgreSQL.

Five apps serve the same bytes — a tenant's 20 newest of 200 notes as JSON, no
login (``bench.page``) — under waitress with 8 threads on loopback, each on its own
scratch database on 127.0.0.1:5432, connecting as a NOSUPERUSER role (tenantry's
``tenantry_app``, under row-level security; the Django peers as the same role,
granted read access to their schemas):

1. bare Flask + SQLAlchemy (``bench.bare_app``): one query, plain Session per request;
2. tenantry with the bench's ``publicpage`` plugin, 10 tenants (production settings);
3. django-tenants, schema per tenant, 10 tenants, resolved by Host;
4. django-tenants, 100 tenants;
5. bare Django: the same Django project without django-tenants, one schema.

Requests rotate over every tenant's host (``<slug>.localhost``). Each round drives
each app once (``--seconds``, wrk with 8 connections) in that order; the tables
give the medians of ``--rounds`` rounds, the ratio to bare Flask, the time per
request at saturation and tenantry / django-tenants.

    .venv/bin/pip install -c constraints.txt -e '.[bench]'    # Django, django-tenants
    .venv/bin/python -m bench.peers [--rounds 3] [--seconds 5]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from importlib.util import find_spec
from typing import Any

from sqlalchemy import make_url

from bench.harness.loadgen import LoadResult, Target, drive
from bench.harness.publicpage import PLUGIN, ensure_installed
from bench.harness.reports import print_table, publish
from bench.harness.rounds import Medians, interleave, paired_ratio, ratio
from bench.harness.scenario import scenario
from bench.harness.seeding import public_rows, slug_of
from bench.harness.servers import PYTHON, REPO, THREADS, Server, bare_server, get
from bench.page import PATH
from tenantry.testing import (
    APP_ROLE,
    ROOT,
    ScratchPostgres,
    free_port,
    mark_of,
    postgres_unavailable,
)

NOTES = 200
TENANTS = 10
MANY_TENANTS = 100
CONNECTIONS = 8
#: Issue 14's targets: tenantry / bare Flask and tenantry / django-tenants (10 tenants).
TARGET_BARE = 0.95
TARGET_PEER = 1.25
BARE_FLASK = "bare Flask + SQLAlchemy"
TENANTRY = f"tenantry ({TENANTS} tenants)"
DJANGO_TENANTS = f"django-tenants ({TENANTS} tenants)"
DJANGO_TENANTS_MANY = f"django-tenants ({MANY_TENANTS} tenants)"
BARE_DJANGO = "bare Django"


def django_env(database: ScratchPostgres, mode: str, url: str, **extra: str) -> dict[str, str]:
    """A Django peer's environment: its mode and database, connecting as ``url``'s user."""
    parsed = make_url(url)
    return dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="bench.peers.djangoapp.settings",
        PEERS_MODE=mode,
        PEERS_DB_NAME=database.name,
        PEERS_DB_USER=parsed.username or "",
        PEERS_DB_HOST=parsed.host or "127.0.0.1",
        PEERS_DB_PORT=str(parsed.port or 5432),
        **extra,
    )


@contextmanager
def django_peer(mode: str, tenants: int) -> Iterator[Server]:
    """A scratch database seeded for ``mode`` (as its owner) and a Django server on it
    (as the NOSUPERUSER app role); both gone on the way out."""
    database = ScratchPostgres()
    try:
        seeding = django_env(
            database,
            mode,
            database.owner_url,
            PEERS_TENANTS=str(tenants),
            PEERS_NOTES=str(NOTES),
            PEERS_APP_ROLE=APP_ROLE,
        )
        subprocess.run(
            [PYTHON, "-m", "bench.peers.djangoapp.seed"], env=seeding, check=True, cwd=REPO
        )
        port = free_port()
        env = django_env(
            database, mode, database.app_url, PEERS_PORT=str(port), PEERS_THREADS=str(THREADS)
        )
        name = f"django ({mode})"
        with Server([PYTHON, "-m", "bench.peers.djangoapp.serve"], env, port, name) as server:
            yield server
    finally:
        database.drop()


def hosts(count: int, port: int) -> list[Target]:
    """The ``<slug>.localhost`` hosts of ``count`` customers seeded by ``djangoapp.seed``."""
    return [Target(f"{slug_of(n, count)}.{ROOT}:{port}") for n in range(count)]


def check_same_pages(apps: dict[str, tuple[int, list[Target]]]) -> None:
    """Every app's first tenant answers the same bytes; every other host its own tenant's."""
    expected = b""
    for name, (port, targets) in apps.items():
        for n, target in enumerate(targets):
            status, body = get(port, PATH, target.host)
            assert status == 200, (name, target.host, status, body[:300])
            if n == 0:
                expected = expected or body
                assert body == expected, f"{name} answers other bytes than {BARE_FLASK}"
            else:
                assert mark_of(target.host.split(".")[0]).encode() in body, (name, target.host)


def run(seconds: float, rounds: int) -> dict[str, Medians]:
    with ExitStack() as stack:
        tenantry = stack.enter_context(scenario("peers", "postgres"))
        seeded = tenantry.seed(TENANTS, notes=0, public_notes=NOTES, plugins=(PLUGIN,))
        bare_db = tenantry.bare_database(0, public_rows(seeded[0].slug, NOTES))
        stack.enter_context(tenantry.server())
        bare = stack.enter_context(bare_server(bare_db, free_port()))
        dt = stack.enter_context(django_peer("tenants", TENANTS))
        dt_many = stack.enter_context(django_peer("tenants", MANY_TENANTS))
        bare_django = stack.enter_context(django_peer("bare", 1))
        apps: dict[str, tuple[int, list[Target]]] = {
            BARE_FLASK: (bare.port, [Target(ROOT)]),
            TENANTRY: (tenantry.port, [Target(t.host(tenantry.port)) for t in seeded]),
            DJANGO_TENANTS: (dt.port, hosts(TENANTS, dt.port)),
            DJANGO_TENANTS_MANY: (dt_many.port, hosts(MANY_TENANTS, dt_many.port)),
            BARE_DJANGO: (bare_django.port, [Target(f"127.0.0.1:{bare_django.port}")]),
        }
        check_same_pages(apps)

        def load(port: int, targets: list[Target]) -> Callable[[], LoadResult]:
            return lambda: drive(port, PATH, targets, CONNECTIONS, seconds, 0.5)

        print(f"{len(apps)} apps, {rounds} interleaved rounds of {seconds:.0f} s", flush=True)
        return interleave({name: load(*app) for name, app in apps.items()}, rounds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="per app and round")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (medians)")
    args = parser.parse_args()
    if find_spec("django") is None or find_spec("django_tenants") is None:
        sys.exit(
            "bench.peers needs the [bench] extra: "
            ".venv/bin/pip install -c constraints.txt -e '.[bench]'"
        )
    if reason := postgres_unavailable():
        sys.exit(f"bench.peers needs PostgreSQL: {reason}")
    ensure_installed()
    found = run(args.seconds, args.rounds)
    base = found[BARE_FLASK]
    print_table(
        (
            "app",
            "req/s",
            "/ bare Flask",
            "ms/request",
            "p50 ms",
            "p99 ms",
            "rounds req/s",
            "errors",
        ),
        [
            (
                name,
                m.rps,
                f"{ratio(m, base):.2f}",
                m.ms_per_request,
                m.p50_ms,
                m.p99_ms,
                " ".join(f"{x:.0f}" for x in m.rounds_rps),
                m.errors + m.non_2xx,
            )
            for name, m in found.items()
        ],
        f"{PATH}, PostgreSQL, waitress {THREADS} threads, wrk {CONNECTIONS} connections, "
        f"medians of {args.rounds} interleaved rounds of {args.seconds:.0f} s",
    )
    pairs = {
        "tenantry / bare Flask": (TENANTRY, BARE_FLASK),
        "tenantry / django-tenants (10)": (TENANTRY, DJANGO_TENANTS),
        "tenantry / django-tenants (100)": (TENANTRY, DJANGO_TENANTS_MANY),
        "django-tenants (10) / bare Django": (DJANGO_TENANTS, BARE_DJANGO),
        "django-tenants (100) / (10)": (DJANGO_TENANTS_MANY, DJANGO_TENANTS),
    }
    summary: dict[str, Any] = {
        label: {
            "ratio": ratio(found[a], found[b]),
            "paired_ratio": paired_ratio(found[a], found[b]),
            "added_ms": round(found[a].ms_per_request - found[b].ms_per_request, 3),
        }
        for label, (a, b) in pairs.items()
    }
    targets = {
        "tenantry / bare Flask": f">= {TARGET_BARE}",
        "tenantry / django-tenants (10)": f">= {TARGET_PEER}",
    }
    print_table(
        ("ratio", "of medians", "median of round ratios", "ms/request added", "target"),
        [
            (k, v["ratio"], v["paired_ratio"], v["added_ms"], targets.get(k, ""))
            for k, v in summary.items()
        ],
        "Summary",
    )
    publish(
        "peers",
        {
            "settings": vars(args)
            | {"threads": THREADS, "connections": CONNECTIONS, "notes": NOTES},
            "apps": found,
            "summary": summary,
        },
    )


if __name__ == "__main__":
    main()
