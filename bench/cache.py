"""Does the tenant-keyed cache pay? The pages that use it, with the cache off, in process, on Redis.

Three tenantry servers run side by side on the same database, differing only in
``cache_url``: ``null://`` (off: every read misses, so every request computes, as
before the cache), ``memory://`` and Redis (a key prefix of this run's own, removed
afterwards). Each page is measured in interleaved rounds (off, memory, redis, off, ...)
and the medians compared, so the machine's noise falls on all three alike.

Pages: the tenant's home (dashboard fragments: recent notes, open tasks, cached per
tenant revision) and one note (its Markdown rendered, cached per note version; an
8 KB note of headings, lists, code and links, as a real one can be).

    .venv/bin/python -m bench.cache [--seconds 4] [--rounds 3] [--db sqlite]
"""

from __future__ import annotations

import argparse
import statistics
import uuid
from contextlib import ExitStack
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import create_engine, insert, text

from bench.harness.loadgen import Target, drive
from bench.harness.reports import print_table, publish
from bench.harness.scenario import parse_with_kinds, scenario
from bench.harness.servers import get, tenantry_server
from tenantry.testing import REDIS_URL, free_port, redis_unavailable
from tenantry_notes.models import Note
from tenantry_tasks.models import Task

CONNECTIONS = 8
SECTION = """## Section {n}

Some **bold** and *emphasised* text with a [link](https://example.com/{n}) and `code`.

- first point of {n}
- second point, with more words to make the line longer than a short one
- third point

```python
def example_{n}(value):
    return value * {n}
```

> A quote that goes on for a while, as quotes in meeting notes do.

"""


def long_markdown() -> str:
    return "".join(SECTION.format(n=n) for n in range(20))  # about 8 KB


def seed_pages(owner_url: str, tenant_id: int, author_id: int) -> int:
    """A long note and some open tasks for the tenant; the long note's id."""
    engine = create_engine(owner_url)
    now = datetime.now(UTC)
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT set_config('tenantry.all_tenants', 'on', true)"))
        note_id = connection.execute(
            insert(Note.__table__).returning(Note.__table__.c.id),
            {
                "tenant_id": tenant_id,
                "author_id": author_id,
                "title": "A long note",
                "body": long_markdown(),
                "tags": "bench",
                "created_at": now,
                "updated_at": now,
            },
        ).scalar_one()
        connection.execute(
            insert(Task.__table__),
            [
                {"tenant_id": tenant_id, "title": f"Task {n}", "done": False, "created_at": now}
                for n in range(8)
            ],
        )
    engine.dispose()
    return note_id


def author_of(owner_url: str, tenant_id: int) -> int:
    engine = create_engine(owner_url)
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT set_config('tenantry.all_tenants', 'on', true)"))
        found = connection.execute(
            text("SELECT id FROM tenantry_user WHERE tenant_id = :t"), {"t": tenant_id}
        ).scalar_one()
    engine.dispose()
    return found


def variants() -> dict[str, str]:
    found = {"off": "null://", "memory": "memory://"}
    if redis_unavailable() is None:
        found["redis"] = REDIS_URL
    return found


def measure_kind(kind: str, seconds: float, rounds: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    prefix = f"bench-{uuid.uuid4().hex[:8]}"
    with scenario("cache", kind) as run:
        [tenant] = run.seed(1, notes=100, plugins=("notes", "tasks"))
        note_id = seed_pages(
            run.database.owner_url, tenant.id, author_of(run.database.owner_url, tenant.id)
        )
        #: page -> (path, what every variant's answer must show)
        pages = {
            "home (dashboard)": ("/", (b'data-testid="recent-notes"', b'data-testid="open-tasks"')),
            "note (8 KB Markdown)": (f"/notes/{note_id}", (b"<h2>Section 19</h2>",)),
        }
        with ExitStack() as stack:
            servers = {}
            for name, url in variants().items():
                port = run.port if not servers else free_port()
                env = run.env | {
                    "TENANTRY_PORT": str(port),
                    "TENANTRY_SERVER_NAME": f"localhost:{port}",
                    "TENANTRY_CACHE_URL": url,
                    "TENANTRY_CACHE_PREFIX": prefix,
                }
                servers[name] = (stack.enter_context(tenantry_server(env)), port)
            for label, (path, marks) in pages.items():
                for name, (_server, port) in servers.items():
                    status, body = get(port, path, tenant.host(port), tenant.token)
                    assert status == 200, (name, status, body[:300])
                    assert all(mark in body for mark in marks), f"{label} ({name}): {body[:300]}"
                for round_ in range(rounds):
                    for name, (_server, port) in servers.items():
                        target = Target(tenant.host(port), tenant.token)
                        result = drive(port, path, [target], CONNECTIONS, seconds)
                        rows.append(
                            {
                                "db": kind,
                                "page": label,
                                "cache": name,
                                "round": round_,
                                **vars(result),
                            }
                        )
        _forget(prefix)
    return rows


def _forget(prefix: str) -> None:
    if redis_unavailable() is not None:
        return
    from redis import Redis

    client = Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    if keys:
        client.delete(*keys)


def summarise(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for db, page in dict.fromkeys((r["db"], r["page"]) for r in rows):
        mine = [r for r in rows if (r["db"], r["page"]) == (db, page)]
        medians = {
            name: statistics.median(r["rps"] for r in mine if r["cache"] == name)
            for name in dict.fromkeys(r["cache"] for r in mine)
        }
        p50 = {
            name: statistics.median(r["p50_ms"] for r in mine if r["cache"] == name)
            for name in medians
        }
        errors = sum(r["errors"] + r["non_2xx"] for r in mine)
        for name, rps in medians.items():
            out.append(
                {
                    "db": db,
                    "page": page,
                    "cache": name,
                    "median_rps": rps,
                    "median_p50_ms": p50[name],
                    "ratio_to_off": round(rps / medians["off"], 2) if medians["off"] else None,
                    "errors": errors,
                }
            )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=4.0, help="per measured run")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (medians)")
    args, kinds = parse_with_kinds(parser)
    rows = [row for kind in kinds for row in measure_kind(kind, args.seconds, args.rounds)]
    summary = summarise(rows)
    print_table(
        ("db", "page", "cache", "median req/s", "median p50 ms", "vs off", "errors"),
        [
            [s[k] for k in ("db", "page", "cache", "median_rps", "median_p50_ms")]
            + [f"{s['ratio_to_off']:.2f}x", s["errors"]]
            for s in summary
        ],
        f"Cache on vs off ({args.rounds} interleaved rounds of {args.seconds:.0f} s, "
        f"{CONNECTIONS} connections)",
    )
    publish(
        "cache",
        {
            "settings": {
                "seconds": args.seconds,
                "rounds": args.rounds,
                "connections": CONNECTIONS,
            },
            "runs": rows,
            "summary": summary,
        },
    )


if __name__ == "__main__":
    main()
