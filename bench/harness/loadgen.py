"""Load generators: wrk when it is installed, else one Python thread per connection.

wrk measures with far less overhead of its own than Python threads on the same
cores; both report the same fields, and the results say which one ran.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from tenantry.testing import Client, percentile


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
