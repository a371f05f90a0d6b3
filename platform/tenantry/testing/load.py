"""A bounded concurrent load through a real server, with a check that no tenant saw another's rows.

Unit tests call the app one request at a time; only many connections served
by many threads at once show a tenant context leaking from one request to the
next (a reused thread, a pooled connection still carrying the last tenant's
row-level security setting). ``run_load`` drives a plugin's JSON collection
API for many tenants at once: list, read, create, update, and reads of another
tenant's ids, which must answer 404. Every item carries its tenant's mark
(``mark_of(slug)``, ``[<slug>]``) in one field, so a response holding another
tenant's item counts as bleed, and so does a stored row filed under the wrong
tenant, checked through the owning role after the run::

    NOTES = JsonCollection("/notes/api/notes", table="notes_note", fields={"body": "x"})
    with serve_in_thread(app) as server:
        report = run_load(server.effective_port, owner_url, NOTES, tenants, 12, 5.0)
    assert report.requests and not (report.errors or report.bleed or report.misfiled_rows)
"""

from __future__ import annotations

import http.client
import json
import random
import threading
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import create_engine, text

from tenantry.testing.clients import host_of

#: The load is bounded: a run never lasts longer than this many seconds.
MAX_SECONDS = 60
#: Operation -> weight of the mix.
MIX = {"list": 45, "get": 25, "create": 15, "update": 10, "foreign": 5}


def mark_of(slug: str) -> str:
    """The text every item written for a tenant carries, and no other tenant's item does."""
    return f"[{slug}]"


@dataclass(frozen=True)
class JsonCollection:
    """A plugin's JSON API over one tenant-scoped table, in the shape the load drives.

    ``GET path`` lists (``{"items": [...]}``, ``?page=n``), ``POST path`` creates
    (201 and the item with its ``id``), ``GET path/<id>`` reads and ``PATCH path/<id>``
    updates. ``marked`` is the text field that carries the tenant's mark, ``table``
    the table the items are stored in, ``fields`` the rest of a valid new item.
    """

    path: str
    table: str
    marked: str = "title"
    fields: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LoadTenant:
    """A tenant the load acts as: an API token of a user who may write, and ids of its items.

    Its host is ``<slug>.localhost``; it needs at least one item, marked with
    ``mark_of(slug)``, for the reads to pick from.
    """

    slug: str
    token: str
    item_ids: tuple[int, ...]


@dataclass
class LoadReport:
    """What a run did and what went wrong; ``samples`` says how, for the first few failures."""

    seconds: float = 0.0
    requests: int = 0
    by_operation: Counter[str] = field(default_factory=Counter)
    errors: int = 0
    bleed: int = 0
    misfiled_rows: int = 0
    samples: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)

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


def percentile(sorted_values: Sequence[float], pct: float) -> float:
    """The ``pct`` percentile of already sorted values (nearest rank), 0.0 for none."""
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, round(pct / 100 * (len(sorted_values) - 1)))
    return sorted_values[index]


class Client:
    """A keep-alive HTTP/1.1 connection that sends JSON with a Host and a bearer token."""

    def __init__(self, port: int, timeout: float = 30.0):
        self.port = port
        self.timeout = timeout
        self._connection: http.client.HTTPConnection | None = None

    def request(
        self, method: str, path: str, host: str, token: str = "", body: Any = None
    ) -> tuple[int, bytes]:
        headers = {"Host": host}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        for attempt in (1, 2):
            if self._connection is None:
                self._connection = http.client.HTTPConnection(
                    "127.0.0.1", self.port, timeout=self.timeout
                )
            try:
                self._connection.request(method, path, body=payload, headers=headers)
                response = self._connection.getresponse()
                return response.status, response.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # The server closed an idle keep-alive connection: reconnect once.
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


class _Run:
    """State shared by the connections: the report and each tenant's known item ids."""

    def __init__(self, port: int, collection: JsonCollection, tenants: Sequence[LoadTenant]):
        self.port = port
        self.collection = collection
        self.tenants = list(tenants)
        self.report = LoadReport()
        self.item_ids = {t.slug: list(t.item_ids) for t in tenants}
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
        self, client: Client, rng: random.Random, tenant: LoadTenant, operation: str, tag: str
    ) -> None:
        host = f"{host_of(tenant)}:{self.port}"
        mark = mark_of(tenant.slug)
        path, marked = self.collection.path, self.collection.marked

        def call(method: str, url: str, body: Any = None) -> tuple[int, Any]:
            status, raw = client.request(method, url, host, tenant.token, body)
            try:
                return status, json.loads(raw) if raw else None
            except ValueError:
                return status, raw[:200]

        def check_owner(item: Any, what: str) -> None:
            if not isinstance(item, dict) or mark not in str(item.get(marked)):
                self.fail("bleed", f"{what} on {tenant.slug} returned {str(item)[:120]}")

        if operation == "list":
            status, body = call("GET", f"{path}?page={rng.randint(1, 3)}")
            if status != 200:
                return self.fail("error", f"list {tenant.slug}: {status} {body}")
            for item in body["items"]:
                check_owner(item, "list")
        elif operation == "get":
            item_id = rng.choice(self.item_ids[tenant.slug])
            status, body = call("GET", f"{path}/{item_id}")
            if status != 200:
                return self.fail("error", f"get {tenant.slug}/{item_id}: {status} {body}")
            check_owner(body, "get")
        elif operation == "foreign":
            other = rng.choice([t for t in self.tenants if t.slug != tenant.slug])
            item_id = rng.choice(self.item_ids[other.slug])
            status, body = call("GET", f"{path}/{item_id}")
            if status == 200:
                self.fail("bleed", f"{tenant.slug} read {other.slug}'s item {item_id}: {body}")
            elif status != 404:
                self.fail("error", f"foreign get {tenant.slug}/{item_id}: {status} {body}")
        elif operation == "create":
            status, body = call(
                "POST", path, {**self.collection.fields, marked: f"{mark} load {tag}"}
            )
            if status != 201:
                return self.fail("error", f"create {tenant.slug}: {status} {body}")
            check_owner(body, "create")
            with self.lock:
                self.item_ids[tenant.slug].append(body["id"])
        elif operation == "update":
            item_id = rng.choice(self.item_ids[tenant.slug])
            status, body = call("PATCH", f"{path}/{item_id}", {marked: f"{mark} {tag}"})
            if status != 200:
                return self.fail("error", f"update {tenant.slug}/{item_id}: {status} {body}")
            check_owner(body, "update")


def run_load(
    port: int,
    owner_url: str,
    collection: JsonCollection,
    tenants: Sequence[LoadTenant],
    connections: int,
    seconds: float,
) -> LoadReport:
    """Drive the server on ``port`` with ``connections`` threads for at most ``seconds``.

    Each connection serves every tenant in turn, so one server thread and one
    pooled database connection see many tenants. ``owner_url`` is the database
    as its owning role, which reads every tenant's rows for the stored-row check.
    """
    run = _Run(port, collection, tenants)
    deadline = time.perf_counter() + min(seconds, MAX_SECONDS)
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
    misfiled = _misfiled(owner_url, collection)
    run.report.misfiled_rows = len(misfiled)
    run.report.samples += [f"misfiled: {slug}: {value}" for slug, value in misfiled[:5]]
    return run.report


def _misfiled(owner_url: str, collection: JsonCollection) -> list[tuple[str, str]]:
    """Stored items whose marked field does not carry their own tenant's mark."""
    engine = create_engine(owner_url)
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # The tables FORCE row-level security, owner included; this check reads them all.
            connection.execute(text("SELECT set_config('tenantry.all_tenants', 'on', true)"))
        rows = connection.execute(
            text(
                f'SELECT t.slug, x."{collection.marked}" FROM "{collection.table}" x'
                " JOIN tenantry_tenant t ON t.id = x.tenant_id"
            )
        ).all()
    engine.dispose()
    return [(slug, value) for slug, value in rows if mark_of(slug) not in str(value)]
