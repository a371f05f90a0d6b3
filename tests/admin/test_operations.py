"""Exports and purges started from the platform admin: jobs with progress and a download.

With no worker configured (the test app's default) the job runs before the page comes
back; with a queue, the page shows it queued, and a worker finishes it.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from tenantry import all_tenants, db, tenant_context
from tenantry.operations import TenantOperation
from tenantry.tenancy.models import Tenant
from tenantry.testing import client_for, csrf_token, do_login, job_queue, require_redis, run_worker
from tenantry_notes.models import Note


@pytest.fixture
def operator(app, make_operator):
    client = client_for(app, "localhost")
    do_login(client, make_operator())
    return client


@pytest.fixture
def two_tenants(app, make_tenant):
    acme = make_tenant("acme", plugins=["notes"])
    globex = make_tenant("globex", plugins=["notes"])
    for tenant in (acme, globex):
        with app.app_context(), tenant_context(tenant):
            db.session.add_all(Note(title=f"{tenant.slug} note {n}") for n in range(3))
            db.session.commit()
    return acme, globex


def start(client, tenant_id: int, verb: str, **fields: str):
    path = f"/admin/tenants/data/?id={tenant_id}"
    data = {"do": verb, "csrf_token": csrf_token(client, path), **fields}
    return client.post(path, data=data, follow_redirects=True)


def download_link(body: str) -> str:
    start_at = body.index('href="/admin/tenants/export/')
    return body[start_at + 6 : body.index('"', start_at + 6)]


def exported_rows(client, body: str) -> list[dict]:
    download = client.get(download_link(body))
    assert download.status_code == 200
    assert "attachment" in download.headers["Content-Disposition"]
    return [json.loads(line) for line in gzip.decompress(download.data).decode().splitlines()]


def test_an_export_contains_that_tenants_rows_only_and_no_secrets(operator, two_tenants, make_user):
    acme, globex = two_tenants
    make_user(acme)
    make_user(globex)
    page = start(operator, acme.id, "export").get_data(as_text=True)
    assert "Export of acme done." in page
    assert 'data-status="done"' in page and "100%" in page
    rows = exported_rows(operator, page)
    assert {row["row"]["tenant_id"] for row in rows} == {acme.id}
    titles = {row["row"]["title"] for row in rows if row["table"] == "notes_note"}
    assert titles == {"acme note 0", "acme note 1", "acme note 2"}
    assert any(row["table"] == "tenantry_user" for row in rows)
    assert not any("password_hash" in row["row"] for row in rows)


def test_a_queued_export_shows_its_progress_and_a_worker_finishes_it(app, operator, two_tenants):
    require_redis()
    acme, _ = two_tenants
    with job_queue(app) as queue:
        page = start(operator, acme.id, "export").get_data(as_text=True)
        assert "Export of acme started." in page
        assert 'data-status="queued"' in page
        assert 'http-equiv="refresh"' in page  # the page follows the job
        assert "/admin/tenants/export/" not in page
        done = run_worker(app, queue)
        assert done.returncode == 0, done.stdout + done.stderr
    page = operator.get(f"/admin/tenants/data/?id={acme.id}").get_data(as_text=True)
    assert 'data-status="done"' in page and 'http-equiv="refresh"' not in page
    rows = exported_rows(operator, page)
    assert len([row for row in rows if row["table"] == "notes_note"]) == 3


def test_purging_is_a_job_of_deleting_that_needs_the_slug_typed(app, operator, two_tenants):
    """The deletion page purges a deleted tenant as a job: its rows table by table, then
    the tenant itself, so its slug is free; the other tenant keeps everything."""
    acme, globex = two_tenants
    page = f"/admin/tenants/delete/?id={acme.id}"

    def post(**data: str):
        data["csrf_token"] = csrf_token(operator, page)
        return operator.post(page, data=data, follow_redirects=True).get_data(as_text=True)

    assert "only a deleted tenant" in post(do="purge", confirm="acme")
    assert "Type acme to confirm." in post(do="delete", grace_days="30", confirm="acm")
    assert "its data is purged after" in post(do="delete", grace_days="30", confirm="acme")
    assert "Type acme to confirm." in post(do="purge", confirm="acm")
    assert "acme deleted and purged" in post(do="purge", confirm="acme")  # no worker: done
    with app.app_context(), all_tenants():
        assert set(db.session.scalars(select(Note.tenant_id))) == {globex.id}
        assert db.session.scalar(select(Tenant).where(Tenant.slug == "acme")) is None
        assert db.session.scalar(select(TenantOperation)) is None  # it went with its tenant


def test_only_operators_reach_exports(app, operator, two_tenants, make_user):
    acme, _ = two_tenants
    page = start(operator, acme.id, "export").get_data(as_text=True)
    link = download_link(page)
    tenant_admin = client_for(app, "acme.localhost")
    do_login(tenant_admin, make_user(acme, role="admin"))
    assert tenant_admin.get(link).status_code == 403
    assert tenant_admin.get(f"/admin/tenants/data/?id={acme.id}").status_code == 403
    assert client_for(app, "localhost").get(link).status_code == 302  # to the login page
    assert operator.get("/admin/tenants/export/999999").status_code == 404
    assert operator.get("/admin/tenants/data/?id=999999").status_code == 404


def test_a_missing_export_file_is_not_offered(app, operator, two_tenants):
    acme, _ = two_tenants
    page = start(operator, acme.id, "export").get_data(as_text=True)
    link = download_link(page)
    with app.app_context():
        for path in (Path(app.instance_path) / "exports").glob("acme-*.jsonl.gz"):
            path.unlink()
    assert operator.get(link).status_code == 404
    assert "/admin/tenants/export/" not in operator.get(
        f"/admin/tenants/data/?id={acme.id}"
    ).get_data(as_text=True)
