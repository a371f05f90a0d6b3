"""One log line per request (method, path, status, duration, tenant), and on every line the
process id and the request id, which the response carries too; JSON or text."""

import io
import json
import logging
import os

import pytest

from tenantry.app import create_app
from tenantry.requestlog import JsonFormatter, TextFormatter
from tenantry.testing import client_for, settings_for_test


@pytest.fixture
def stream():
    """What the request logger writes, formatted by the formatter the test installs."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    logger = logging.getLogger("tenantry.request")
    level = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    yield out, handler
    logger.removeHandler(handler)
    logger.setLevel(level)


@pytest.fixture
def lines(stream):
    out, handler = stream
    handler.setFormatter(JsonFormatter())
    return lambda: [json.loads(line) for line in out.getvalue().splitlines()]


def test_each_request_logs_one_json_line_with_its_tenant_pid_and_request_id(
    app, make_tenant, lines
):
    make_tenant("acme")
    responses = [
        client_for(app, "acme.localhost").get("/missing"),
        client_for(app, "localhost").get("/"),
    ]
    logged = lines()
    assert [(e["method"], e["path"], e["status"]) for e in logged] == [
        ("GET", "/missing", 404),
        ("GET", "/", 200),
    ]
    assert [e["tenant"] for e in logged] == ["acme", ""]
    assert all(e["duration_ms"] >= 0 and e["level"] == "INFO" for e in logged)
    assert all(e["pid"] == os.getpid() for e in logged)
    assert [e["request_id"] for e in logged] == [r.headers["X-Request-ID"] for r in responses]
    assert len({e["request_id"] for e in logged}) == 2


def test_text_lines_carry_the_process_and_request_ids(app, stream):
    out, handler = stream
    handler.setFormatter(TextFormatter())
    response = client_for(app, "localhost").get("/")
    [line] = out.getvalue().splitlines()
    assert f"pid={os.getpid()} rid={response.headers['X-Request-ID']} " in line
    assert line.endswith("GET / 200 " + line.split(" GET / 200 ")[1])


def test_a_clients_own_request_id_is_replaced_without_a_trusted_proxy(app, lines):
    response = client_for(app, "localhost").get("/", headers={"X-Request-ID": "forged-id"})
    assert response.headers["X-Request-ID"] != "forged-id"
    assert lines()[0]["request_id"] == response.headers["X-Request-ID"]


@pytest.fixture
def behind_proxy(tmp_path):
    """An app that trusts the proxy at 127.0.0.1 (the test client's address); the root
    landing page it is asked for touches no database."""
    settings = settings_for_test(tmp_path, "sqlite", trusted_proxy_addresses=["127.0.0.1"])
    return create_app(settings)


def test_a_trusted_proxys_request_id_is_kept_and_returned(behind_proxy, lines):
    response = client_for(behind_proxy, "localhost").get(
        "/", headers={"X-Request-ID": "nginx-5f2a9c"}
    )
    assert response.headers["X-Request-ID"] == "nginx-5f2a9c"
    assert lines()[0]["request_id"] == "nginx-5f2a9c"


@pytest.mark.parametrize("offered", ["", "has spaces", "x" * 200, 'quote"d', "<script>"])
def test_a_malformed_request_id_is_replaced_even_from_a_proxy(behind_proxy, offered):
    response = client_for(behind_proxy, "localhost").get("/", headers={"X-Request-ID": offered})
    assert len(response.headers["X-Request-ID"]) == 32


def test_probes_carry_a_request_id_too(app):
    response = client_for(app, "localhost").get("/healthz")
    assert len(response.headers["X-Request-ID"]) == 32
