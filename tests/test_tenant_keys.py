"""Moving the tenant tables to ``(tenant_id, id)`` keys on a populated database loses nothing.

Each test builds a database at the revisions released before the change (the
core at 0001, notes_0001, tasks_0001), fills it with rows through plain SQL,
with gaps in the ids as deletions leave them, then migrates it, on SQLite and
PostgreSQL. The core's 0002 (a batch copy of the users table on SQLite) runs on
the way, so the tokens that refer to users are checked as well.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from flask import Flask
from sqlalchemy import Connection, Engine, create_engine, inspect, select, text
from sqlalchemy.exc import IntegrityError

from tenantry import all_tenants, db, distribution, tenant_context
from tenantry.app import create_app
from tenantry.auth.models import ApiToken, User
from tenantry.db import Base
from tenantry.migrate import alembic_config, current_heads, downgrade, upgrade
from tenantry.plugins.runtime import runtime
from tenantry.tenancy.context import TenantRef
from tenantry.testing import ScratchPostgres, require_postgres, settings_for_test
from tenantry_notes.models import Note
from tenantry_tasks.models import Task

TABLES = ("tenantry_user", "tenantry_api_token", "notes_note", "tasks_task")
BEFORE = ("tasks_0001", "0001")  # what a database made by the previous release is at
ACME, GLOBEX = TenantRef(1, "acme", "Acme"), TenantRef(2, "globex", "Globex")
ROWS = """
INSERT INTO tenantry_tenant (slug, name, status, revision, created_at) VALUES
  ('acme', 'Acme', 'active', 1, '2026-01-01'), ('globex', 'Globex', 'active', 1, '2026-01-01');
INSERT INTO tenantry_user (tenant_id, email, name, role, active, created_at, password_hash) VALUES
  (1, 'ann@acme.test', 'Ann', 'admin', true, '2026-01-02', 'x'),
  (2, 'gus@globex.test', 'Gus', 'member', true, '2026-01-02', 'x'),
  (1, 'bob@acme.test', 'Bob', 'member', false, '2026-01-02', 'x'),
  (2, 'gil@globex.test', 'Gil', 'admin', true, '2026-01-02', 'x'),
  (1, 'gone@acme.test', 'Gone', 'member', true, '2026-01-02', 'x');
DELETE FROM tenantry_user WHERE id = 5;
INSERT INTO tenantry_api_token (tenant_id, user_id, name, token_hash, hint, created_at) VALUES
  (1, 1, 'cli', 'hash-of-acme', 'tnt_abc', '2026-01-03'),
  (2, 4, 'ci', 'hash-of-globex', 'tnt_def', '2026-01-03');
INSERT INTO notes_note (tenant_id, title, body, tags, author_id, created_at, updated_at) VALUES
  (1, 'acme plan', 'body', 'a,b', 1, '2026-01-04', '2026-01-04'),
  (2, 'globex plan', 'body', '', 2, '2026-01-04', '2026-01-05'),
  (1, 'acme draft', '', '', NULL, '2026-01-04', '2026-01-04'),
  (1, 'acme memo', '', '', 3, '2026-01-04', '2026-01-06');
DELETE FROM notes_note WHERE id = 3;
INSERT INTO tasks_task (tenant_id, title, done, due, note_id, created_at) VALUES
  (1, 'acme task', false, '2026-02-01', 1, '2026-01-07'),
  (2, 'globex task', true, NULL, 2, '2026-01-07'),
  (1, 'acme loose task', false, NULL, NULL, '2026-01-07');
"""


class OldDatabase:
    """An app whose database starts at ``BEFORE``, and the owning role's view of it."""

    def __init__(self, app: Flask, owner_url: str):
        self.app = app
        self.owner: Engine = create_engine(owner_url)
        with app.app_context():
            self.config = alembic_config(app.extensions["tenantry.settings"], runtime().registry)
        for revision in BEFORE:
            self.upgrade(revision)
        with self.as_owner() as connection:
            for statement in filter(str.strip, ROWS.split(";")):
                connection.execute(text(statement))

    @contextmanager
    def as_owner(self) -> Iterator[Connection]:
        """A transaction of the owning role, which sees every tenant's rows."""
        with self.owner.begin() as connection:
            if connection.dialect.name == "postgresql":  # the owner is under FORCEd RLS too
                connection.execute(text("SELECT set_config('tenantry.all_tenants', 'on', true)"))
            yield connection

    def upgrade(self, revision: str = "heads") -> None:
        with self.app.app_context():
            upgrade(self.config, revision)

    def downgrade(self, revision: str) -> None:
        with self.app.app_context():
            downgrade(self.config, revision)

    def rows(self) -> dict[str, list[dict[str, Any]]]:
        with self.as_owner() as connection:
            return {
                table: sorted(
                    (
                        dict(row)
                        for row in connection.execute(text(f"SELECT * FROM {table}")).mappings()
                    ),
                    key=lambda row: (row["tenant_id"], row["id"]),
                )
                for table in TABLES
            }

    def primary_keys(self) -> dict[str, tuple[str, ...]]:
        found = inspect(self.owner)
        return {t: tuple(found.get_pk_constraint(t)["constrained_columns"]) for t in TABLES}

    def distribution_problems(self) -> list[str]:
        with self.owner.connect() as connection:
            return [str(problem) for problem in distribution.check(connection, Base.metadata)]

    def heads(self) -> set[str]:
        return current_heads(self.owner)


def as_before(rows: dict[str, list[dict[str, Any]]], before: dict[str, list[dict[str, Any]]]):
    """``rows`` in the columns ``before`` had: later migrations may add columns (a user's
    language, say), which are not what these tests are about."""
    return {
        table: [{column: row[column] for column in before[table][0]} for row in found]
        if before[table]
        else found
        for table, found in rows.items()
    }


@pytest.fixture
def old(backend: str, tmp_path: Path) -> Iterator[OldDatabase]:
    scratch = None
    if backend == "postgres":
        require_postgres()
        scratch = ScratchPostgres()
    settings = settings_for_test(tmp_path, backend, scratch)
    database = OldDatabase(create_app(settings), settings.effective_migrations_url)
    yield database
    with database.app.app_context():
        db.engine.dispose()
    database.owner.dispose()
    if scratch is not None:
        scratch.drop()


def test_upgrading_keeps_every_row_and_gives_the_new_keys(old):
    before = old.rows()
    assert old.primary_keys() == dict.fromkeys(TABLES, ("id",))
    assert old.distribution_problems() == [
        "notes_note: primary key (id) does not include tenant_id",
        "tasks_task: primary key (id) does not include tenant_id",
        "tenantry_api_token: primary key (id) does not include tenant_id",
        "tenantry_api_token: unique uq_tenantry_api_token_token_hash (token_hash) "
        "does not include tenant_id",
        "tenantry_user: primary key (id) does not include tenant_id",
    ]

    old.upgrade()

    assert as_before(old.rows(), before) == before
    assert old.primary_keys() == dict.fromkeys(TABLES, ("tenant_id", "id"))
    assert old.distribution_problems() == []
    with old.app.app_context():
        command.check(old.config)  # the migrated schema is exactly what the models declare


def test_after_upgrading_new_ids_follow_the_old_ones_and_references_hold(old):
    old.upgrade()
    with old.app.app_context():
        session = db.session
        with tenant_context(ACME):
            user = session.get(User, 1)
            note = Note(title="after the move", author=user)
            session.add(note)
            session.flush()
            assert note.id > 4  # never an id some row had (on SQLite: past the largest)
            assert session.get(Note, 4).author.email == "bob@acme.test"
            assert session.get(Task, 1).note.title == "acme plan"
            token = session.scalar(select(ApiToken).where(ApiToken.token_hash == "hash-of-acme"))
            assert token.user is user
            session.commit()
        with tenant_context(GLOBEX):
            assert session.get(Note, 1) is None  # acme's note, by its single id
        with all_tenants(), pytest.raises(IntegrityError):
            session.add(Task(tenant_id=ACME.id, title="cross", note_id=2))  # globex's note
            session.flush()
        session.rollback()


def test_downgrading_gives_back_the_old_keys_and_every_row(old):
    before = old.rows()
    old.upgrade()

    old.downgrade("0002")

    assert old.heads() == {"0002", "tasks_0001"}
    assert as_before(old.rows(), before) == before
    assert old.primary_keys() == dict.fromkeys(TABLES, ("id",))
    old.upgrade()  # and up again
    assert as_before(old.rows(), before) == before
