"""One log line per request: method, path, status, duration, tenant; JSON when asked."""

import io
import json
import logging

import pytest

from tenantry.requestlog import JsonFormatter
from tenantry.testing import client_for


@pytest.fixture
def lines(app):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("tenantry.request")
    level = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logger.removeHandler(handler)
    logger.setLevel(level)


def test_each_request_logs_one_json_line_with_its_tenant(app, make_tenant, lines):
    make_tenant("acme")
    client_for(app, "acme.localhost").get("/healthz")
    client_for(app, "acme.localhost").get("/missing")
    client_for(app, "localhost").get("/")
    logged = lines()
    assert [(e["method"], e["path"], e["status"]) for e in logged] == [
        ("GET", "/healthz", 200),
        ("GET", "/missing", 404),
        ("GET", "/", 200),
    ]
    assert [e["tenant"] for e in logged] == ["", "acme", ""]
    assert all(e["duration_ms"] >= 0 and e["level"] == "INFO" for e in logged)
