"""jobs.enqueue: who a job is for, when it is queued, and how it runs with no worker (inline)."""

from __future__ import annotations

import logging

import pytest
import sample_jobs
from flask_login import login_user
from prometheus_client import REGISTRY
from sqlalchemy import select

from tenantry import NoTenantError, TenantViolation, all_tenants, db, jobs, tenant_context
from tenantry.auth.identity import Account
from tenantry.auth.models import User
from tenantry.jobs.dispatch import EXTENSION, Inline, Queued, run_inline
from tenantry.jobs.execution import Outcome
from tenantry.tenancy import lifecycle
from tenantry.testing import free_port, job_queue, require_redis
from tenantry_notes.models import Note


def titles(app, tenant) -> list[str]:
    with app.app_context(), tenant_context(tenant):
        return sorted(db.session.scalars(select(Note.title)))


def test_an_inline_job_runs_after_the_commit_not_before(app, make_tenant):
    acme = make_tenant("acme", plugins=["notes"])
    with app.app_context(), tenant_context(acme):
        jobs.enqueue(sample_jobs.write_note, "from a job")
        assert titles(app, acme) == []
        db.session.commit()
    assert titles(app, acme) == ["from a job"]


def test_a_rolled_back_write_runs_no_job(app, make_tenant):
    acme = make_tenant("acme", plugins=["notes"])
    with app.app_context(), tenant_context(acme):
        db.session.add(Note(title="rolled back"))
        jobs.enqueue(sample_jobs.write_note, "from a job")
        db.session.rollback()
        db.session.commit()
    assert titles(app, acme) == []


def test_a_rolled_back_write_queues_nothing(app, make_tenant):
    require_redis()
    acme = make_tenant("acme", plugins=["notes"])
    with app.app_context(), job_queue(app) as queue, tenant_context(acme):
        jobs.enqueue(sample_jobs.write_note, "never")
        db.session.rollback()
        assert queue.queued.queue.count == 0
        job_id = jobs.enqueue(sample_jobs.write_note, "queued")
        assert queue.queued.queue.count == 0  # not before the commit
        db.session.commit()
        assert queue.queued.queue.job_ids == [job_id]
    assert titles(app, acme) == []  # queued for a worker, not run here


class Recorded(Inline):
    """Runs jobs inline as usual, and keeps what became of each."""

    def __init__(self) -> None:
        self.outcomes: list[Outcome | None] = []

    def push(self, app, envelope, timeout) -> None:
        self.outcomes.append(run_inline(app, envelope))


def test_an_inline_job_runs_on_its_tenants_host_as_the_person_who_enqueued_it(
    app, make_tenant, make_user, monkeypatch
):
    recorded = Recorded()
    monkeypatch.setitem(app.extensions, EXTENSION, recorded)
    acme = make_tenant("acme", plugins=["notes"])
    email, _ = make_user(acme)
    make_tenant("globex", plugins=["notes"])
    with app.test_request_context(base_url="http://acme.localhost/"), tenant_context(acme):
        db.session.add(Note(title="acme's"))
        login_user(Account(db.session.scalar(select(User).where(User.email == email))))
        jobs.enqueue(sample_jobs.what_i_see)
        db.session.commit()
    [outcome] = recorded.outcomes
    assert outcome is not None and outcome.status == "done"
    assert outcome.result["tenant"] == "acme"
    assert outcome.result["orm"] == ["acme's"]
    assert outcome.result["host"] == "acme.localhost"
    assert outcome.result["link"] == "http://acme.localhost/notes/"
    assert outcome.result["user"] == email
    assert outcome.result["enqueued_revision"] == acme.revision


def test_a_job_needs_a_tenant(app):
    with app.app_context(), pytest.raises(NoTenantError, match="a job belongs to a tenant"):
        jobs.enqueue(sample_jobs.write_note, "x")


def test_inside_all_tenants_a_job_needs_its_tenant_named(app, make_tenant):
    acme = make_tenant("acme", plugins=["notes"])
    with app.app_context(), all_tenants():
        with pytest.raises(NoTenantError, match="needs its tenant named"):
            jobs.enqueue(sample_jobs.write_note, "x")
        jobs.enqueue(sample_jobs.write_note, "named", tenant=acme)
        db.session.commit()
    assert titles(app, acme) == ["named"]


def test_a_tenant_cannot_enqueue_for_another_tenant_or_the_platform(app, make_tenant):
    acme, globex = make_tenant("acme"), make_tenant("globex")
    with app.app_context(), tenant_context(acme):
        with pytest.raises(TenantViolation):
            jobs.enqueue(sample_jobs.write_note, "x", tenant=globex)
        with pytest.raises(TenantViolation):
            jobs.enqueue_platform(sample_jobs.write_note, "x")


def nested_function() -> None:
    def inner() -> None:
        return None

    return inner


@pytest.mark.parametrize(
    ("function", "args", "message"),
    [
        (lambda: None, (), "cannot be imported by a worker"),
        (nested_function(), (), "cannot be imported by a worker"),
        (sample_jobs.write_note, (object(),), "job arguments are JSON"),
        (sample_jobs.write_note, ({1, 2},), "job arguments are JSON"),
        ("sample_jobs:write_note", (), "a job runs a function"),
    ],
)
def test_only_importable_functions_and_json_arguments(app, make_tenant, function, args, message):
    acme = make_tenant("acme")
    with app.app_context(), tenant_context(acme), pytest.raises(TypeError, match=message):
        jobs.enqueue(function, *args)


def test_a_failing_inline_job_is_logged_its_writes_undone_and_the_commit_stands(
    app, make_tenant, caplog
):
    acme = make_tenant("acme", plugins=["notes"])
    with app.app_context(), tenant_context(acme):
        db.session.add(Note(title="the request's own"))
        jobs.enqueue(sample_jobs.fail, "boom")
        db.session.commit()
    assert titles(app, acme) == ["the request's own"]
    assert "job" in caplog.text and "failed" in caplog.text and "boom" in caplog.text


def test_a_suspended_tenants_inline_job_is_not_run(app, make_tenant, caplog):
    acme = make_tenant("acme", plugins=["notes"])
    with app.app_context():
        lifecycle.set_status(db.session, lifecycle.find(db.session, "acme"), "suspended")
        db.session.commit()
        with all_tenants(), caplog.at_level(logging.WARNING, logger="tenantry.jobs"):
            jobs.enqueue(sample_jobs.write_note, "x", tenant=acme)
            db.session.commit()
    assert "is suspended, and no worker is configured" in caplog.text
    with app.app_context(), all_tenants():
        assert db.session.scalars(select(Note.title)).all() == []


def test_a_job_that_cannot_be_queued_runs_inline(app, make_tenant, monkeypatch, caplog):
    acme = make_tenant("acme", plugins=["notes"])
    monkeypatch.setitem(
        app.extensions, EXTENSION, Queued(f"redis://127.0.0.1:{free_port()}/0", "nowhere")
    )
    with app.app_context(), tenant_context(acme):
        jobs.enqueue(sample_jobs.write_note, "ran here")
        db.session.commit()
    assert titles(app, acme) == ["ran here"]
    assert "could not be queued" in caplog.text


def test_a_failing_job_is_counted_for_prometheus(app, make_tenant):
    acme = make_tenant("acme", plugins=["notes"])

    def failures() -> float:
        return REGISTRY.get_sample_value("tenantry_job_failures_total", {"plugin": "core"}) or 0

    before = failures()
    with app.app_context(), tenant_context(acme):
        jobs.enqueue(sample_jobs.fail, "boom")
        db.session.commit()
    assert failures() - before == 1
