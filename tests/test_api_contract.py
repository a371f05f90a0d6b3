"""The JSON API keeps the promises of its own OpenAPI document, under schemathesis.

A real server (waitress, SQLite) and a tenant with every bundled plugin; schemathesis
reads the tenant's ``/api/openapi.json`` and sends generated requests, valid and not,
authenticated by an API token, for a bounded time. Any server error, status or body
that the document does not describe, is a failure.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tenantry.testing import build_app, free_port, serve_in_thread, settings_for_test

#: The whole run's budget (schemathesis stops itself); the test's own timeout is above it.
MAX_SECONDS = 40


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory):
    from tenantry.auth import accounts
    from tenantry.auth.models import ApiToken
    from tenantry.db import db
    from tenantry.plugins import enablement
    from tenantry.plugins.runtime import runtime
    from tenantry.tenancy import lifecycle
    from tenantry.tenancy.context import tenant_context

    port = free_port()
    folder = tmp_path_factory.mktemp("contract")
    app = build_app(settings_for_test(folder, "sqlite", server_name=f"localhost:{port}"))
    app.config["TESTING"] = False
    with app.app_context():
        tenant = lifecycle.create(db.session, "acme", "Acme")
        for name in runtime().registry.loaded:
            enablement.enable(db.session, runtime().registry, tenant, name)
        user = accounts.create_user(db.session, tenant, "api@acme.test", "x" * 12, "admin")
        with tenant_context(tenant):
            token, secret = ApiToken.issue(user, "schemathesis")
            db.session.add(token)
            db.session.commit()
    with serve_in_thread(app, port=port, threads=4):
        yield folder, port, secret


def test_the_api_matches_its_openapi_document(served):
    folder, port, secret = served
    host = f"acme.localhost:{port}"
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/openapi.json", headers={"Host": host}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        document = json.load(response)
    assert document["openapi"].startswith("3.1")
    assert document["paths"], "the bundled plugins declare operations"
    schema = Path(folder) / "openapi.json"
    schema.write_text(json.dumps(document))
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "schemathesis"),
            "run",
            str(schema),
            "--url",
            f"http://127.0.0.1:{port}",
            "--header",
            f"Host: {host}",
            "--header",
            f"Authorization: Bearer {secret}",
            "--checks",
            "all",
            "--max-time",
            str(MAX_SECONDS),
            "--workers",
            "1",
            "--no-color",
        ],
        cwd=folder,  # its cache (.schemathesis/) goes there, not into the checkout
        capture_output=True,
        text=True,
        timeout=MAX_SECONDS + 60,
    )
    report = Path(__file__).resolve().parents[1] / "test-artifacts" / "schemathesis.txt"
    report.parent.mkdir(exist_ok=True)
    report.write_text(result.stdout + result.stderr)
    assert result.returncode == 0, f"see {report}:\n" + result.stdout[-4000:]
