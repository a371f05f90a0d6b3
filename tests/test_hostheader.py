"""The host a request is answered for, through real waitress and raw sockets (item 13).

A raw socket, because HTTP clients normalise what matters here: they send the
Host as given and never an absolute URI in the request line to an origin server.
"""

from __future__ import annotations

import socket

import pytest

from tenantry.testing import serve_in_thread

# Below Flask and above the database: SQLite is enough.
pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


@pytest.fixture
def port(app, make_tenant):
    make_tenant("acme", name="Acme Corp")
    make_tenant("bravo", name="Bravo Inc")
    with serve_in_thread(app, threads=2) as server:
        yield server.effective_port


def send(port: int, request_line: str, host: str | None) -> tuple[int, str]:
    head = f"{request_line}\r\n" + (f"Host: {host}\r\n" if host is not None else "")
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(f"{head}Connection: close\r\n\r\n".encode("latin-1"))
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    raw = b"".join(chunks).decode("utf-8", "replace")
    status = int(raw.split(" ", 2)[1])
    return status, raw.split("\r\n\r\n", 1)[1]


def test_an_upper_case_host_is_the_same_host(port):
    for host in ("ACME.LOCALHOST", "Acme.LocalHost:8000", "ACME.localhost."):
        status, body = send(port, "GET / HTTP/1.1", host)
        assert status == 200 and "Acme Corp" in body, host
    assert send(port, "GET /healthz HTTP/1.1", "LOCALHOST")[0] == 200
    assert send(port, "GET / HTTP/1.1", "LOCALHOST")[0] == 200


def test_an_absolute_request_target_wins_over_the_host_header(port):
    """RFC 9112, 3.2.2: the request-target's host, not the Host header."""
    status, body = send(port, "GET http://bravo.localhost/ HTTP/1.1", "acme.localhost")
    assert status == 200 and "Bravo Inc" in body and "Acme Corp" not in body
    status, body = send(port, "GET HTTP://BRAVO.LOCALHOST/ HTTP/1.1", None)
    assert status == 200 and "Bravo Inc" in body


def test_an_absolute_request_target_must_name_a_trusted_host_alone(port):
    for target in (
        "http://evil.example/",
        "http://acme.localhost@evil.example/",
        "http://user@acme.localhost/",
    ):
        status, body = send(port, f"GET {target} HTTP/1.1", "acme.localhost")
        assert status == 400 and "Acme Corp" not in body, target
