"""A real waitress server in a thread, for tests that need sockets, threads and keep-alive.

The test client calls the app in the test's own thread; a leak between
requests (a reused thread, a pooled connection keeping the last tenant's
setting) only shows through a real server.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask

from tenantry.serve import waitress_server


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serve_in_thread(app: Flask, port: int = 0, threads: int = 8) -> Iterator[Any]:
    """A real waitress server on loopback for the block, configured as ``tenantry serve``
    configures it; yields it (``.effective_port``).

    Polls in short slices so it can stop cleanly: waitress's own ``run()`` has no stop.
    """
    server = waitress_server(app, "127.0.0.1", port, threads)
    stopping = threading.Event()

    def loop() -> None:
        while not stopping.is_set():
            server.asyncore.loop(timeout=0.05, map=server._map, count=1, use_poll=True)

    thread = threading.Thread(target=loop, name="tenantry-test-server", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        stopping.set()
        thread.join(timeout=5)
        server.task_dispatcher.shutdown()
        server.close()
