"""Two tenants with the same shape of data, so every probe can try to reach the other one."""

from dataclasses import dataclass, field

import pytest
from sqlalchemy import select

from tenantry import db, tenant_context
from tenantry.auth.models import ApiToken, User
from tenantry_notes.models import Note
from tenantry_tasks.models import Task


@dataclass
class World:
    tenant: object
    email: str
    password: str
    note_ids: list[int] = field(default_factory=list)
    task_ids: list[int] = field(default_factory=list)
    user_id: int = 0
    token: str = ""


def populate(app, tenant, make_user) -> World:
    email, password = make_user(tenant, f"owner@{tenant.slug}.test", role="admin")
    world = World(tenant, email, password)
    with app.app_context(), tenant_context(tenant):
        user = db.session.scalar(select(User))
        world.user_id = user.id
        notes = [
            Note(title=f"{tenant.slug}-note-{i}", body=f"secret of {tenant.slug}", author=user)
            for i in range(3)
        ]
        db.session.add_all(notes)
        db.session.flush()
        tasks = [Task(title=f"{tenant.slug}-task-{i}", note_id=notes[i].id) for i in range(2)]
        db.session.add_all(tasks)
        token, world.token = ApiToken.issue(user, "probe")
        db.session.add(token)
        db.session.commit()
        world.note_ids = [n.id for n in notes]
        world.task_ids = [t.id for t in tasks]
    return world


@pytest.fixture
def acme(app, make_tenant, make_user) -> World:
    return populate(app, make_tenant("acme", plugins=["tasks"]), make_user)


@pytest.fixture
def bravo(app, make_tenant, make_user) -> World:
    return populate(app, make_tenant("bravo", plugins=["tasks"]), make_user)
