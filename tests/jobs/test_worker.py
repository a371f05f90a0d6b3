"""``tenantry worker`` in a subprocess, on real Redis: each job runs for its own tenant only,
as the tenant is now (deleted: dropped; suspended: later), with its plugins gated as in a
request.

Each test queues its jobs, runs one burst worker (``run_worker``), and looks at what the
jobs did and at what RQ recorded.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import sample_jobs
from flask_login import login_user
from sqlalchemy import select

from tenantry import all_tenants, db, jobs, tenant_context
from tenantry.auth.identity import Account
from tenantry.auth.models import User
from tenantry.tenancy import lifecycle
from tenantry.testing import job_queue, require_redis, run_worker
from tenantry_notes.models import Note
from tenantry_tasks import service as tasks_service
from tenantry_tasks.models import Task

HERE = Path(__file__).resolve().parent


@pytest.fixture
def queue(app):
    require_redis()
    with job_queue(app) as test_queue:
        yield test_queue


def worker(app, queue, **settings):
    done = run_worker(app, queue, pythonpath=[HERE], **settings)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


def rows(app, tenant, model, column):
    with app.app_context(), tenant_context(tenant):
        return sorted(db.session.scalars(select(column)))


def add_notes(app, tenant, *titles):
    with app.app_context(), tenant_context(tenant):
        db.session.add_all(Note(title=title) for title in titles)
        db.session.commit()


def test_a_job_enqueued_by_a_tenant_sees_only_that_tenants_rows(
    app, queue, make_tenant, make_user, backend
):
    """(One worker run serves this test and the failing job's, to keep the suite quick.)"""
    acme = make_tenant("acme", plugins=["notes"])
    globex = make_tenant("globex", plugins=["notes"])
    add_notes(app, acme, "acme one", "acme two")
    add_notes(app, globex, "globex one")
    email, _ = make_user(acme)
    with app.test_request_context(base_url="http://acme.localhost/"), tenant_context(acme):
        login_user(Account(db.session.scalar(select(User).where(User.email == email))))
        acme_job = jobs.enqueue(sample_jobs.what_i_see)
        db.session.commit()
    with app.app_context(), tenant_context(globex):
        globex_job = jobs.enqueue(sample_jobs.what_i_see)
        failing_job = jobs.enqueue(sample_jobs.fail, "the job's own error")
        db.session.commit()
    worker(app, queue)

    seen = queue.job(acme_job).return_value()
    assert seen["status"] == "done"
    assert seen["result"]["tenant"] == "acme"
    assert seen["result"]["orm"] == ["acme one", "acme two"]
    if backend == "postgres":  # raw SQL too: row-level security holds in jobs
        assert seen["result"]["raw"] == ["acme one", "acme two"]
    assert seen["result"]["link"] == "http://acme.localhost/notes/"
    assert seen["result"]["user"] == email  # the job acts as the person who enqueued it
    assert seen["result"]["enqueued_revision"] == seen["result"]["revision"] == acme.revision
    other = queue.job(globex_job).return_value()["result"]
    assert (other["tenant"], other["orm"], other["user"]) == ("globex", ["globex one"], None)

    # A job that raises is recorded as failed, and what it wrote is rolled back.
    failed = queue.job(failing_job)
    assert failed.get_status() == "failed"
    assert "the job's own error" in failed.latest_result().exc_string
    assert rows(app, globex, Note, Note.title) == ["globex one"]


def test_plugins_a_tenant_turned_off_neither_receive_signals_nor_run_jobs_there(
    app, queue, make_tenant
):
    solo = make_tenant("solo", plugins=["notes"])  # tasks is installed but off here
    both = make_tenant("both", plugins=["notes", "tasks"])
    job_ids = {}
    for tenant in (solo, both):
        with app.app_context(), tenant_context(tenant):
            jobs.enqueue(sample_jobs.seed_demo)  # notes and tasks both receive demo_seeded
            job_ids[tenant.slug] = jobs.enqueue(tasks_service.create, "made by a job")
            db.session.commit()
    log = worker(app, queue)

    assert rows(app, solo, Note, Note.title) != []  # the notes receiver ran
    assert rows(app, solo, Task, Task.title) == []  # the tasks receiver did not
    assert "made by a job" in rows(app, both, Task, Task.title)
    skipped = queue.job(job_ids["solo"]).return_value()
    assert skipped == {
        "status": "skipped",
        "detail": "plugin 'tasks' is disabled for 'solo'",
        "result": None,
    }
    assert "skipped: plugin 'tasks' is disabled for 'solo'" in log
    assert queue.job(job_ids["both"]).return_value()["status"] == "done"


def test_a_suspended_tenants_job_waits_and_a_deleted_tenants_job_is_dropped(
    app, queue, make_tenant
):
    frozen = make_tenant("frozen", plugins=["notes"])
    gone = make_tenant("gone", plugins=["notes"])
    job_ids = {}
    for tenant in (frozen, gone):
        with app.app_context(), tenant_context(tenant):
            job_ids[tenant.slug] = jobs.enqueue(sample_jobs.write_note, "written by the job")
            db.session.commit()
    with app.app_context():
        lifecycle.set_status(db.session, lifecycle.find(db.session, "frozen"), "suspended")
        lifecycle.delete(db.session, lifecycle.find(db.session, "gone"), grace_days=30)
        db.session.commit()
    log = worker(app, queue, jobs_suspended_retry=1)

    assert queue.job(job_ids["frozen"]).get_status() == "scheduled"
    assert queue.job(job_ids["gone"]).return_value()["status"] == "dropped"
    assert "dropped: the tenant is deleted" in log
    with app.app_context(), all_tenants():
        assert db.session.scalars(select(Note.title)).all() == []

    with app.app_context():
        lifecycle.set_status(db.session, lifecycle.find(db.session, "frozen"), "active")
        db.session.commit()
    time.sleep(1.1)  # the retry is due after jobs_suspended_retry seconds
    worker(app, queue, jobs_suspended_retry=1)
    assert queue.job(job_ids["frozen"]).get_status() == "finished"
    assert rows(app, frozen, Note, Note.title) == ["written by the job"]
    assert rows(app, gone, Note, Note.title) == []


def test_the_worker_command_explains_what_is_missing(app, monkeypatch):
    runner = app.test_cli_runner()
    with app.app_context():
        unset = runner.invoke(args=["worker", "--burst"])
        assert unset.exit_code == 1
        assert "jobs_url is not set, so jobs run in the web process" in unset.output
        settings = app.extensions["tenantry.settings"]
        monkeypatch.setattr(settings, "jobs_url", "redis://127.0.0.1:1/0")
        unreachable = runner.invoke(args=["worker", "--burst"])
    assert unreachable.exit_code == 1
    assert "cannot reach the job queue at redis://127.0.0.1:1/0" in unreachable.output
    assert "Traceback" not in unreachable.output
