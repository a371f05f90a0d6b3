"""db.on_commit: follow-ups (queued jobs, cache invalidations) happen only when the write does."""

from __future__ import annotations

import logging

from tenantry import db, tenant_context
from tenantry.tenancy import lifecycle


def test_a_callback_waits_for_the_commit(session):
    calls = []
    db.on_commit(lambda: calls.append("done"))
    lifecycle.create(session, "acme")
    assert calls == []
    session.commit()
    assert calls == ["done"]


def test_a_rollback_drops_the_callback(session):
    calls = []
    lifecycle.create(session, "acme")
    db.on_commit(lambda: calls.append("done"))
    session.rollback()
    session.commit()
    assert calls == []


def test_closing_without_a_commit_drops_the_callback(session, caplog):
    calls = []
    db.on_commit(lambda: calls.append("done"))
    with caplog.at_level(logging.INFO, logger="tenantry.db"):
        session.close()
    session.commit()
    assert calls == []
    assert "1 after-commit callback(s) dropped" in caplog.text


def test_a_rolled_back_savepoint_drops_only_its_own_callbacks(session):
    calls = []
    db.on_commit(lambda: calls.append("outer"))
    savepoint = session.begin_nested()
    db.on_commit(lambda: calls.append("inner"))
    savepoint.rollback()
    kept = session.begin_nested()
    db.on_commit(lambda: calls.append("released"))
    kept.commit()
    assert calls == []  # a released savepoint is not the commit
    session.commit()
    assert calls == ["outer", "released"]


def test_a_failing_callback_is_logged_and_the_others_still_run(session, caplog):
    calls = []
    db.on_commit(lambda: 1 / 0)
    db.on_commit(lambda: calls.append("after"))
    tenant = lifecycle.create(session, "acme")
    session.commit()
    assert calls == ["after"]
    assert "after-commit callback" in caplog.text and "ZeroDivisionError" in caplog.text
    with tenant_context(tenant):
        assert lifecycle.find(session, "acme").id == tenant.id  # the commit stood
