"""A write load through a balancer while one backend process is killed: what was lost, what
failed, and for how long.

Every POST creates a note whose title is unique; a 201 means the write was
acknowledged, so it must be in the database afterwards, whichever process
took it and whatever happened to that process next. Requests that failed
(an error status, a reset connection) are counted with their time relative to
the kill: the failover window is from the kill to the last failure::

    report = write_through_failover(nginx.port, host, token, kill=first.kill)
    assert report.lost(owner_url) == []
"""

from __future__ import annotations

import http.client
import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import create_engine, text

NOTES_PATH = "/notes/api/notes"


@dataclass
class FailoverReport:
    seconds: float = 0.0
    requests: int = 0
    acknowledged: list[str] = field(default_factory=list)
    #: Seconds after the kill at which each failed request ended (negative: before it).
    failures: list[float] = field(default_factory=list)
    samples: list[str] = field(default_factory=list)
    tag: str = ""

    @property
    def window_s(self) -> float:
        """From the kill to the last failed request (0.0 when none failed)."""
        after = [moment for moment in self.failures if moment >= 0]
        return round(max(after), 3) if after else 0.0

    def lost(self, owner_url: str) -> list[str]:
        """Acknowledged titles that are not in the database (read through the owning role)."""
        engine = create_engine(owner_url)
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                # The tables FORCE row-level security, owner included; this check reads all.
                connection.execute(text("SELECT set_config('tenantry.all_tenants', 'on', true)"))
            stored = set(
                connection.execute(
                    text("SELECT title FROM notes_note WHERE title LIKE :tag"),
                    {"tag": f"failover {self.tag} %"},
                ).scalars()
            )
        engine.dispose()
        return [title for title in self.acknowledged if title not in stored]

    def summary(self) -> dict[str, object]:
        return {
            "seconds": round(self.seconds, 2),
            "requests": self.requests,
            "acknowledged": len(self.acknowledged),
            "failed": len(self.failures),
            "window_s": self.window_s,
            "samples": self.samples[:5],
        }


def write_through_failover(
    port: int,
    host: str,
    token: str,
    kill: Callable[[], None],
    connections: int = 8,
    seconds: float = 4.0,
    kill_after: float = 1.5,
) -> FailoverReport:
    """POST notes on ``port`` from ``connections`` keep-alive clients for ``seconds``; call
    ``kill`` ``kill_after`` seconds in. Requests are never retried by the client."""
    report = FailoverReport(tag=uuid.uuid4().hex[:8])
    lock = threading.Lock()
    started = time.perf_counter()
    deadline = started + seconds
    killed_at: list[float] = []

    def since_kill() -> float:
        return time.perf_counter() - killed_at[0] if killed_at else -1.0

    def worker(n: int) -> None:
        connection: http.client.HTTPConnection | None = None
        i = 0
        while time.perf_counter() < deadline:
            title = f"failover {report.tag} {n}-{i}"
            i += 1
            body = json.dumps({"title": title, "body": "written while a process dies"})
            headers = {
                "Host": host,
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/json",
            }
            outcome = ""
            try:
                if connection is None:
                    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                connection.request("POST", NOTES_PATH, body=body, headers=headers)
                response = connection.getresponse()
                response.read()
                if response.status != 201:
                    outcome = f"status {response.status}"
            except (OSError, http.client.HTTPException) as error:
                outcome = f"{type(error).__name__}: {error}"
                if connection is not None:
                    connection.close()
                connection = None
            with lock:
                report.requests += 1
                if outcome:
                    report.failures.append(round(since_kill(), 3))
                    if len(report.samples) < 20:
                        report.samples.append(f"{since_kill():+.2f}s {outcome}")
                else:
                    report.acknowledged.append(title)
        if connection is not None:
            connection.close()

    threads = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(connections)]
    for thread in threads:
        thread.start()
    time.sleep(kill_after)
    killed_at.append(time.perf_counter())
    kill()
    for thread in threads:
        thread.join()
    report.seconds = time.perf_counter() - started
    return report
