"""What every benchmark shares: scratch databases, servers, seeding, load, results.

Servers run as subprocesses (``python run.py`` for tenantry, ``python -m
bench.bare_app`` for the baseline) so the load generator never shares a GIL
with them. Data is seeded with bulk SQL through the owning role: the numbers
are about serving requests, not about how fast the CLI creates rows.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import platform
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, text

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results"
PYTHON = sys.executable
BIN = Path(PYTHON).parent
ROOT = "localhost"
THREADS = 8
KINDS = ("sqlite", "postgres")
NOTES_PATH = "/notes/api/notes"
#: Custom domains given to seeded tenants (requests to them go through the Domain table).
DOMAIN_SUFFIX = "bench.test"


# --- databases ---------------------------------------------------------------------------------


@dataclass
class Database:
    """A scratch database: ``app_url`` is what servers connect as, ``owner_url`` migrates/seeds."""

    kind: str
    app_url: str
    owner_url: str
    scratch: Any = None

    def drop(self) -> None:
        if self.scratch is not None:
            self.scratch.drop()


def postgres_missing() -> str | None:
    """Why PostgreSQL cannot be used here, or None (the reason tenantry's tests would give)."""
    from tenantry.testing import postgres_unavailable

    return postgres_unavailable()


def available_kinds(requested: Sequence[str] = KINDS) -> list[str]:
    kinds = list(requested)
    if "postgres" in kinds and (reason := postgres_missing()):
        print(f"skipping PostgreSQL: {reason}", file=sys.stderr)
        kinds.remove("postgres")
    return kinds


def scratch_database(kind: str, workdir: Path, name: str = "tenantry") -> Database:
    """A new empty database; on PostgreSQL the app role has neither superuser nor BYPASSRLS."""
    if kind == "sqlite":
        url = f"sqlite:///{workdir / f'{name}.db'}"
        return Database(kind, url, url)
    from tenantry.testing import ScratchPostgres

    scratch = ScratchPostgres()
    return Database(kind, scratch.app_url, scratch.owner_url, scratch)


@contextmanager
def workspace(prefix: str) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix=f"tenantry-{prefix}-") as folder:
        yield Path(folder)


# --- servers -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def tenantry_env(
    database: Database, workdir: Path, port: int = 8000, **extra: str
) -> dict[str, str]:
    """The environment of a production-like tenantry process on this database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TENANTRY_")}
    env.update(
        TENANTRY_ENV="production",
        TENANTRY_SECRET_KEY=secrets.token_urlsafe(32),
        TENANTRY_DATABASE_URL=database.app_url,
        TENANTRY_MIGRATIONS_DATABASE_URL=database.owner_url,
        TENANTRY_INSTANCE_PATH=str(workdir / "instance"),
        TENANTRY_SERVER_NAME=f"{ROOT}:{port}",
        TENANTRY_PORT=str(port),
        TENANTRY_THREADS=str(THREADS),
        TENANTRY_LOG_LEVEL="WARNING",
        TENANTRY_TRUSTED_HOSTS=json.dumps([ROOT, f".{ROOT}", f".{DOMAIN_SUFFIX}"]),
    )
    env.update(extra)
    return env


def migrate(env: dict[str, str]) -> float:
    """Run ``tenantry db upgrade`` as a user would; return its wall time in seconds."""
    started = time.perf_counter()
    done = subprocess.run(
        [str(BIN / "tenantry"), "db", "upgrade"], env=env, cwd=REPO, capture_output=True, text=True
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"tenantry db upgrade failed:\n{done.stdout}\n{done.stderr}")
    return elapsed


def get(port: int, path: str, host: str, token: str | None = None) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        headers = {"Host": host}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


class Server:
    """A server subprocess on loopback; ``start`` returns once /healthz answers 200."""

    def __init__(self, argv: Sequence[str], env: dict[str, str], port: int, name: str):
        self.argv = list(argv)
        self.env = env
        self.port = port
        self.name = name
        self.process: subprocess.Popen[bytes] | None = None
        self.log: Any = None

    def start(self, timeout: float = 30.0) -> float:
        started = time.perf_counter()
        # A file, not a pipe: waitress warns on every queued task under load, and a
        # full pipe nobody reads would block the server.
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (closed by stop)
        self.process = subprocess.Popen(
            self.argv, env=self.env, cwd=REPO, stdout=self.log, stderr=subprocess.STDOUT
        )
        while time.perf_counter() - started < timeout:
            if self.process.poll() is not None:
                self.log.seek(0)
                error = self.log.read().decode(errors="replace")[-4000:]
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n{error}")
            try:
                if get(self.port, "/healthz", f"{ROOT}:{self.port}")[0] == 200:
                    return time.perf_counter() - started
            except OSError:
                pass
            time.sleep(0.01)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer /healthz within {timeout:.0f} s")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()
        self.process = None

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def tenantry_server(env: dict[str, str]) -> Server:
    return Server([PYTHON, "run.py"], env, int(env["TENANTRY_PORT"]), "tenantry")


def bare_server(database: Database, port: int) -> Server:
    env = dict(os.environ, BARE_DATABASE_URL=database.app_url, BARE_PORT=str(port))
    env["BARE_THREADS"] = str(THREADS)
    return Server([PYTHON, "-m", "bench.bare_app"], env, port, "bare app")


# --- seeding -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Seeded:
    """A tenant the benchmark sends requests to: its hosts and an admin's API token."""

    id: int
    slug: str
    token: str
    note_ids: tuple[int, ...] = ()

    def host(self, port: int) -> str:
        return f"{self.slug}.{ROOT}:{port}"

    def domain(self, port: int) -> str:
        return f"{self.slug}.{DOMAIN_SUFFIX}:{port}"


def note_rows(tenant_id: int, author_id: int, slug: str, count: int) -> list[dict[str, Any]]:
    """``count`` notes whose titles carry the slug, about 300 characters each, staggered times."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    body = "Some *Markdown* text for the benchmark, long enough to look like a real note. " * 3
    return [
        {
            "tenant_id": tenant_id,
            "author_id": author_id,
            "title": f"[{slug}] note {i}",
            "body": body,
            "tags": "bench,load",
            "created_at": start + timedelta(minutes=i),
            "updated_at": start + timedelta(minutes=i),
        }
        for i in range(count)
    ]


def seed_tenants(
    owner_url: str,
    count: int,
    *,
    hot: int | None = None,
    notes: int = 100,
    plugins: Sequence[str] = ("notes",),
    prefix: str = "t",
) -> list[Seeded]:
    """Insert ``count`` tenants (each with a custom domain and ``plugins`` enabled).

    The first ``hot`` of them (default: all) also get an admin, an API token and
    ``notes`` notes; they are returned. Slugs are ``<prefix><number>``, zero-padded
    so that no slug is a substring of another's.
    """
    from tenantry.auth.models import ApiToken, User
    from tenantry.plugins.models import TenantPlugin
    from tenantry.tenancy.models import Domain, Tenant
    from tenantry_notes.models import Note

    hot = count if hot is None else min(hot, count)
    width = max(5, len(str(count)))
    now = datetime.now(UTC)
    engine = create_engine(owner_url)
    seeded: list[Seeded] = []
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # The tables FORCE row-level security, owner included; this transaction seeds all.
            connection.execute(text("SELECT set_config('tenantry.all_tenants', 'on', true)"))
        slugs = [f"{prefix}{i:0{width}d}" for i in range(count)]
        rows = [
            {"slug": s, "name": s.upper(), "status": "active", "revision": 1, "created_at": now}
            for s in slugs
        ]
        ids = _insert_returning_ids(connection, Tenant.__table__, rows)
        connection.execute(
            insert(Domain.__table__),
            [
                {"hostname": f"{s}.{DOMAIN_SUFFIX}", "tenant_id": i, "created_at": now}
                for s, i in zip(slugs, ids, strict=True)
            ],
        )
        enabled = [
            {"tenant_id": i, "plugin": p, "enabled": True, "settings": {}}
            for i in ids
            for p in plugins
        ]
        if enabled:
            connection.execute(insert(TenantPlugin.__table__), enabled)
        users = [
            {
                "tenant_id": i,
                "email": f"admin@{s}.test",
                "name": "admin",
                "role": "admin",
                "active": True,
                "created_at": now,
                "password_hash": "!bench: no password login",
            }
            for s, i in zip(slugs[:hot], ids[:hot], strict=True)
        ]
        user_ids = _insert_returning_ids(connection, User.__table__, users) if users else []
        tokens: list[str] = []
        token_rows = []
        for tenant_id, user_id in zip(ids[:hot], user_ids, strict=True):
            secret = ApiToken.PREFIX + secrets.token_urlsafe(32)
            tokens.append(secret)
            token_rows.append(
                {
                    "tenant_id": tenant_id,
                    "user_id": user_id,
                    "name": "bench",
                    "token_hash": hashlib.sha256(secret.encode()).hexdigest(),
                    "hint": secret[:10],
                    "created_at": now,
                }
            )
        if token_rows:
            connection.execute(insert(ApiToken.__table__), token_rows)
        for n, (slug, tenant_id, user_id) in enumerate(
            zip(slugs[:hot], ids[:hot], user_ids, strict=True)
        ):
            note_ids: list[int] = []
            if notes:
                note_ids = _insert_returning_ids(
                    connection, Note.__table__, note_rows(tenant_id, user_id, slug, notes)
                )
            seeded.append(Seeded(tenant_id, slug, tokens[n], tuple(note_ids)))
    engine.dispose()
    return seeded


def _insert_returning_ids(connection: Any, table: Any, rows: list[dict[str, Any]]) -> list[int]:
    statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    return [row[0] for row in connection.execute(statement, rows)]


# --- load generation ---------------------------------------------------------------------------


@dataclass
class LoadResult:
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    non_2xx: int
    tool: str


@dataclass(frozen=True)
class Target:
    """One kind of request the load generator rotates through."""

    host: str
    token: str = ""


_WRK_SCRIPT = """
local targets = {%(targets)s}
local path = %(path)s
local i = 0
request = function()
  i = i %% #targets + 1
  local t = targets[i]
  local headers = { Host = t[1] }
  if t[2] ~= "" then headers["Authorization"] = "Bearer " .. t[2] end
  return wrk.format("GET", path, headers)
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p99_us": %%d,' ..
    ' "errors": %%d, "non_2xx": %%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, e.status))
end
"""


def load_tool() -> str:
    return "wrk" if shutil.which("wrk") else "python-threads"


def drive(
    port: int,
    path: str,
    targets: Sequence[Target],
    connections: int,
    seconds: float,
    warmup: float = 1.0,
) -> LoadResult:
    """GET ``path`` with ``connections`` keep-alive connections, rotating over ``targets``.

    A warm-up run (not measured) fills pools and caches first.
    """
    run = _drive_wrk if load_tool() == "wrk" else _drive_threads
    if warmup > 0:
        run(port, path, targets, connections, warmup)
    return run(port, path, targets, connections, seconds)


def _lua_string(value: str) -> str:
    return json.dumps(value)  # a JSON string of ASCII is a valid Lua string literal


def _drive_wrk(
    port: int, path: str, targets: Sequence[Target], connections: int, seconds: float
) -> LoadResult:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        entries = ",".join(f"{{{_lua_string(t.host)},{_lua_string(t.token)}}}" for t in targets)
        script.write(_WRK_SCRIPT % {"targets": entries, "path": _lua_string(path)})
    try:
        done = subprocess.run(
            [
                "wrk",
                "-t1",
                f"-c{connections}",
                f"-d{max(1, round(seconds))}s",
                "--timeout",
                "10s",
                "-s",
                script.name,
                f"http://127.0.0.1:{port}{path}",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        os.unlink(script.name)
    line = next(x for x in done.stdout.splitlines() if x.startswith("BENCH_JSON "))
    data = json.loads(line.removeprefix("BENCH_JSON "))
    elapsed = data["duration_us"] / 1e6
    return LoadResult(
        requests=data["requests"],
        seconds=round(elapsed, 2),
        rps=round(data["requests"] / elapsed, 1),
        p50_ms=round(data["p50_us"] / 1000, 2),
        p99_ms=round(data["p99_us"] / 1000, 2),
        errors=data["errors"],
        non_2xx=data["non_2xx"],
        tool="wrk",
    )


@dataclass
class _Tally:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    non_2xx: int = 0


def _drive_threads(
    port: int, path: str, targets: Sequence[Target], connections: int, seconds: float
) -> LoadResult:
    """The fallback generator: one thread and one keep-alive connection per connection."""
    deadline = time.perf_counter() + seconds
    tallies = [_Tally() for _ in range(connections)]

    def worker(n: int) -> None:
        tally = tallies[n]
        client = Client(port)
        i = n
        while time.perf_counter() < deadline:
            target = targets[i % len(targets)]
            i += connections
            started = time.perf_counter()
            try:
                status, _ = client.request("GET", path, target.host, target.token)
            except OSError:
                tally.errors += 1
                continue
            tally.latencies.append(time.perf_counter() - started)
            if not 200 <= status < 300:
                tally.non_2xx += 1
        client.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(n,)) for n in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    latencies = sorted(x for t in tallies for x in t.latencies)
    return LoadResult(
        requests=len(latencies),
        seconds=round(elapsed, 2),
        rps=round(len(latencies) / elapsed, 1),
        p50_ms=round(percentile(latencies, 50) * 1000, 2),
        p99_ms=round(percentile(latencies, 99) * 1000, 2),
        errors=sum(t.errors for t in tallies),
        non_2xx=sum(t.non_2xx for t in tallies),
        tool="python-threads",
    )


def percentile(sorted_values: Sequence[float], pct: float) -> float:
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


# --- results -----------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "nproc": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_tool": load_tool(),
    }


def write_results(name: str, payload: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    data = {"benchmark": name, "machine": machine(), **payload}
    path.write_text(json.dumps(data, indent=2, default=_jsonable) + "\n")
    return path


def _jsonable(value: Any) -> Any:
    if hasattr(value, "__dataclass_fields__"):
        return asdict(value)
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], title: str = "") -> None:
    cells = [[str(h) for h in headers]] + [[_cell(v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    if title:
        print(f"\n{title}")
    for n, row in enumerate(cells):
        print("  ".join(v.rjust(w) if n else v.ljust(w) for v, w in zip(row, widths, strict=True)))
        if n == 0:
            print("  ".join("-" * w for w in widths))


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"
    return str(value)
