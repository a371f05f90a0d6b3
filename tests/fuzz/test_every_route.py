"""Every route of the core and the bundled plugins, driven with generated requests.

For each role (anonymous, member, tenant admin, operator) hypothesis draws a
route and method from the app's own URL map, fills its path with ids (the
tenant's own, the other tenant's, past any key, not numbers at all), and adds a
query string and a body: urlencoded or multipart forms, JSON of any shape and
depth, in UTF-8 or UTF-16, under the right or a wrong content type, with NUL
characters and huge numbers among the values. Every answer must hold:

- no 5xx;
- no write committed when the answer is a 4xx;
- on a tenant's host, no trace of the other tenant (its rows carry a secret mark).

Bounded for CI: ``EXAMPLES`` requests per role and database; ``HYPOTHESIS_PROFILE=ci``
(set by .ci/run) derandomizes them, so a CI failure replays anywhere. Set
``TENANTRY_FUZZ_EXAMPLES`` for a longer run.
"""

from __future__ import annotations

import json
import os
import re
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, event, select

from tenantry import db, tenant_context
from tenantry.auth import accounts
from tenantry.auth.models import ApiToken, Operator
from tenantry.tenancy.models import Tenant
from tenantry.testing import PASSWORD, client_for, csrf_token, do_login
from tenantry_notes.models import Note
from tenantry_tasks.models import Task

EXAMPLES = int(os.environ.get("TENANTRY_FUZZ_EXAMPLES", "500"))
ROLES = ("anonymous", "member", "admin", "operator")
WRITES = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b", re.I)


@dataclass
class World:
    """Two tenants with the same shape; bravo's rows carry ``bravo_mark``, never guessable."""

    bravo_mark: str
    ids: list[int] = field(default_factory=list)
    credentials: dict[str, tuple[str, str]] = field(default_factory=dict)


def build_world(app: Flask, make_tenant: Any) -> World:
    world = World(bravo_mark=f"bravo{uuid.uuid4().hex[:12]}")
    for slug in ("acme", "bravo"):
        mark = world.bravo_mark if slug == "bravo" else f"acme{uuid.uuid4().hex[:12]}"
        tenant = make_tenant(slug, plugins=["tasks"])
        with app.app_context():
            row = db.session.get(Tenant, tenant.id)
            admin = accounts.create_user(db.session, row, f"{mark}@admin.test", PASSWORD, "admin")
            member = accounts.create_user(db.session, row, f"{mark}@member.test", PASSWORD)
            db.session.commit()
            with tenant_context(tenant):
                notes = [
                    Note(title=f"{mark} {i}", body=mark, tags=mark, author=admin) for i in range(3)
                ]
                db.session.add_all(notes)
                db.session.flush()
                tasks = [Task(title=f"{mark} task", note_id=note.id) for note in notes[:2]]
                token, _secret = ApiToken.issue(member, mark)
                db.session.add_all([*tasks, token])
                db.session.commit()
                world.ids += [admin.id, member.id, token.id, *(n.id for n in notes)]
                world.ids += [t.id for t in tasks]
        if slug == "acme":
            world.credentials["admin"] = (admin.email, PASSWORD)
            world.credentials["member"] = (member.email, PASSWORD)
        world.ids.append(tenant.id)
    with app.app_context():
        operator = accounts.create_operator(db.session, "op@platform.test", PASSWORD)
        db.session.commit()
        world.ids.append(operator.id)
        assert db.session.scalar(select(Operator.id)) == operator.id
    world.credentials["operator"] = ("op@platform.test", PASSWORD)
    return world


class CommittedWrites:
    """Counts transactions that committed an INSERT, UPDATE or DELETE, on every engine,
    in the thread that serves the probe (the test client's): the process's own background
    work, such as the usage counts flushed every ``usage_flush_s``, is not the request's."""

    def __init__(self, engines: set[Engine]):
        self.count = 0
        self.engines = engines
        self.thread = threading.get_ident()
        self._hooks = [
            ("before_cursor_execute", self._statement),
            ("commit", self._commit),
            ("rollback", self._rollback),
        ]

    def __enter__(self) -> CommittedWrites:
        for engine in self.engines:
            for name, hook in self._hooks:
                event.listen(engine, name, hook)
        return self

    def __exit__(self, *_exc: object) -> None:
        for engine in self.engines:
            for name, hook in self._hooks:
                event.remove(engine, name, hook)

    def _statement(self, conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if WRITES.match(statement) and threading.get_ident() == self.thread:
            conn.info["fuzz_wrote"] = True

    def _commit(self, conn: Any) -> None:
        if conn.info.pop("fuzz_wrote", False):  # only the probe's thread marks a connection
            self.count += 1

    def _rollback(self, conn: Any) -> None:
        conn.info.pop("fuzz_wrote", None)


# --- what a request is made of ----------------------------------------------------------------

TOO_BIG = ["2147483648", "9223372036854775808", "99999999999999999999", "1" + "0" * 40]
TRICKY = [
    "",
    "\x00",
    "a\x00b",
    "-1",
    "0",
    "1e309",
    "NaN",
    "[]",
    "{}",
    "null",
    "true",
    "//evil.com",
    "/%0d%0a//evil.com",
    "/\r\n//evil.com",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "admin",
    "member",
    "notes",
    "tasks",
    "enable",
    "disable",
    "settings",
    "2026-02-30",
    "2026-01-01",
    "x" * 300,
]
QUERY_KEYS = [
    "page", "per_page", "page_size", "q", "tag", "next", "id", "url", "sort", "desc",
    "search", "flt0_0", "flt1_5", "note", "tenant", "do", "format",
]  # fmt: skip
FORM_KEYS = [
    "title", "body", "tags", "due", "note_id", "done", "email", "password", "name", "role",
    "active", "plugin", "do", "rowid", "action", "slug", "status", "hostname", "tenant",
    "per_page", "max_note_length", "allow_markdown", "default_due_days", "show_completed",
    "list_form_pk", "url", "id", "_continue_editing", "_add_another",
]  # fmt: skip
JSON_TYPES = [
    "application/json",
    "application/merge-patch+json",
    "application/vnd.api+json",
    "application/json; charset=utf-16",
    "text/plain",
    "application/x-www-form-urlencoded",
    "application/octet-stream",
]


def texts() -> st.SearchStrategy[str]:
    return st.text(
        alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40
    ) | st.sampled_from(TRICKY)


def ids(world: World) -> st.SearchStrategy[str]:
    return (
        st.sampled_from(world.ids).map(str)
        | st.integers(0, 10_000).map(str)
        | st.sampled_from(TOO_BIG)
        | texts()
    )


def values(world: World) -> st.SearchStrategy[Any]:
    return ids(world) | texts() | st.lists(ids(world), max_size=3)


def json_documents() -> st.SearchStrategy[Any]:
    leaves = (
        st.none()
        | st.booleans()
        | st.integers(-(2**70), 2**70)
        | st.floats(allow_nan=False)
        | texts()
    )
    note_like = st.fixed_dictionaries(
        {},
        optional={
            "title": leaves,
            "body": leaves,
            "tags": st.lists(leaves, max_size=3) | leaves,
            "extra": leaves,
        },
    )
    return note_like | st.recursive(
        leaves,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts(), inner, max_size=3),
        max_leaves=8,
    )


@dataclass
class Probe:
    method: str
    path: str
    query: dict[str, Any]
    body: Any
    content_type: str | None
    csrf: str

    def __repr__(self) -> str:
        shown = self.body if not isinstance(self.body, bytes) else self.body[:120]
        return (
            f"{self.method} {self.path} query={self.query!r} content_type={self.content_type!r}"
            f" csrf={self.csrf} body={shown!r}"
        )


def fill(rule: str, world: World) -> st.SearchStrategy[str]:
    """The rule's path with each ``<converter:name>`` replaced by a generated segment."""
    parts = re.split(r"(<[^>]+>)", rule)
    segments: list[st.SearchStrategy[str]] = []
    for part in parts:
        if not part.startswith("<"):
            segments.append(st.just(part))
        elif part.startswith("<int"):
            segments.append(ids(world).map(lambda s: quote(s, safe="")))
        elif part.startswith("<path"):
            segments.append(
                st.sampled_from(["tenantry.css", "admin-csp.js", "../../etc/passwd", "x/y"])
                | texts().map(lambda s: quote(s, safe="/"))
            )
        else:
            segments.append(
                st.sampled_from(["csv", "json", "xlsx"]) | texts().map(lambda s: quote(s, safe=""))
            )
    return st.tuples(*segments).map("".join)


#: The admin a role cannot open: its routes are drawn less often (they answer 403 or 404).
ELSEWHERE = {"operator": ("/manage", "/notes", "/tasks"), "other": ("/admin",)}


def probes(app: Flask, world: World, role: str) -> st.SearchStrategy[Probe]:
    routes = sorted(
        (rule.rule, method)
        for rule in app.url_map.iter_rules()
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
        if not (rule.endpoint == "auth.logout" and role != "anonymous")  # stay logged in
    )
    elsewhere = ELSEWHERE.get(role, ELSEWHERE["other"])
    likely = [route for route in routes if not route[0].startswith(elsewhere)]

    @st.composite
    def probe(draw: st.DrawFn) -> Probe:
        rule, method = draw(st.sampled_from(likely * 4 + routes))
        path = draw(fill(rule, world))
        query = draw(
            st.dictionaries(st.sampled_from(QUERY_KEYS) | texts(), values(world), max_size=3)
        )
        csrf = draw(st.sampled_from(["valid"] * 6 + ["missing", "garbage"]))
        kind = draw(st.sampled_from(["none", "form", "multipart", "json", "deep", "raw"]))
        body: Any = None
        content_type = None
        if kind in ("form", "multipart"):
            body = draw(
                st.dictionaries(st.sampled_from(FORM_KEYS) | texts(), values(world), max_size=6)
            )
            content_type = "multipart/form-data" if kind == "multipart" else None
        elif kind in ("json", "deep"):
            document = draw(json_documents())
            text = "[" * 50_000 + "]" * 50_000 if kind == "deep" else json.dumps(document)
            content_type = draw(st.sampled_from(JSON_TYPES))
            encoding = "utf-16" if "utf-16" in content_type else "utf-8"
            body = text.encode(encoding)
        elif kind == "raw":
            body = draw(st.binary(max_size=64))
            content_type = draw(st.sampled_from(JSON_TYPES))
        return Probe(method, path, query, body, content_type, csrf)

    return probe()


def send(client: FlaskClient, probe: Probe, token: str) -> Any:
    headers = {}
    body = probe.body
    if probe.csrf != "missing":
        value = token if probe.csrf == "valid" else "garbage"
        headers["X-CSRFToken"] = value
        if isinstance(body, dict):
            body = {**body, "csrf_token": value}
    return client.open(
        probe.path,
        method=probe.method,
        query_string=probe.query,
        data=body,
        content_type=probe.content_type,
        headers=headers,
    )


@pytest.mark.parametrize("role", ROLES)
def test_every_route_answers_without_5xx_writes_on_4xx_or_leaks(app, make_tenant, role):
    world = build_world(app, make_tenant)
    host = "localhost" if role == "operator" else "acme.localhost"
    client = client_for(app, host)
    if role != "anonymous":
        assert do_login(client, world.credentials[role]).status_code == 302
    token = csrf_token(client, "/login")
    with app.app_context():
        engines = {db.engine, db.platform_engine}

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(probe=probes(app, world, role))
    def holds(probe: Probe) -> None:
        with CommittedWrites(engines) as writes:
            response = send(client, probe, token)
        status = response.status_code
        body = response.get_data(as_text=True)
        response.close()
        assert status < 500, f"{status} for {probe!r}"
        if 400 <= status < 500:
            assert writes.count == 0, f"{status} after a committed write: {probe!r}"
        if host != "localhost":
            assert world.bravo_mark not in body, f"bravo's rows shown for {probe!r}"
        assert "Traceback" not in body

    holds()
