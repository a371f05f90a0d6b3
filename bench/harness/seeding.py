"""Bulk seeding through the owning role: tenants, custom domains, admins, API tokens and notes.

Plain INSERTs, not the CLI or the ORM: the numbers are about serving requests,
not about how fast rows are created, and 10,000 tenants take seconds this way.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Connection,
    DateTime,
    Table,
    column,
    create_engine,
    func,
    insert,
    select,
    table,
    text,
)

from bench.harness.servers import DOMAIN_SUFFIX
from tenantry.auth.models import ApiToken, User
from tenantry.plugins.models import TenantPlugin
from tenantry.tenancy.models import Domain, Tenant
from tenantry.testing import ROOT, mark_of
from tenantry_notes.models import Note

#: The page most benchmarks request: the notes plugin's JSON list.
NOTES_PATH = "/notes/api/notes"
#: The bench's own plugin's table (bench/publicpage), named here so that seeding does
#: not import the plugin, which is installed only when a benchmark needs it. Its ids are
#: given explicitly (1, 2, ... in seeding order): without the model's default SQLite
#: would have none to give, and a bare twin seeded with the same ids serves the same bytes.
PUBLIC_NOTES = table(
    "publicpage_note",
    column("tenant_id"),
    column("id"),
    column("title"),
    column("body"),
    column("created_at", DateTime(timezone=True)),
)


@dataclass(frozen=True)
class Seeded:
    """A tenant the benchmark sends requests to: its hosts and an admin's API token."""

    id: int
    slug: str
    token: str
    note_ids: tuple[int, ...] = ()

    def host(self, port: int) -> str:
        return f"{self.slug}.{ROOT}:{port}"

    def domain(self, port: int) -> str:
        return f"{self.slug}.{DOMAIN_SUFFIX}:{port}"


def slug_of(n: int, count: int, prefix: str = "t") -> str:
    """The slug of the ``n``-th of ``count`` seeded tenants.

    Zero-padded to one width, so that no slug is a substring of another's.
    """
    return f"{prefix}{n:0{max(5, len(str(count)))}d}"


def note_rows(tenant_id: int, author_id: int, slug: str, count: int) -> list[dict[str, Any]]:
    """``count`` notes whose titles carry the slug, about 300 characters each, staggered times."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    body = "Some *Markdown* text for the benchmark, long enough to look like a real note. " * 3
    return [
        {
            "tenant_id": tenant_id,
            "author_id": author_id,
            "title": f"{mark_of(slug)} note {i}",
            "body": body,
            "tags": "bench,load",
            "created_at": start + timedelta(minutes=i),
            "updated_at": start + timedelta(minutes=i),
        }
        for i in range(count)
    ]


def public_rows(slug: str, count: int, first_id: int = 1) -> list[dict[str, Any]]:
    """``count`` public notes (no ``tenant_id``), ids from ``first_id``, with the text and
    times of ``note_rows``: deterministic, so that every app given the rows of one slug
    serves the same bytes."""
    rows = note_rows(0, 0, slug, count)
    return [
        {"id": first_id + i, "title": r["title"], "body": r["body"], "created_at": r["created_at"]}
        for i, r in enumerate(rows)
    ]


def seed_tenants(
    owner_url: str,
    count: int,
    *,
    hot: int | None = None,
    notes: int = 100,
    public_notes: int = 0,
    plugins: Sequence[str] = ("notes",),
    prefix: str = "t",
) -> list[Seeded]:
    """Insert ``count`` tenants (each with a custom domain and ``plugins`` enabled).

    The first ``hot`` of them (default: all) also get an admin, an API token and
    ``notes`` notes and ``public_notes`` rows of the bench's ``publicpage`` plugin
    (which must then be in ``plugins`` and migrated); they are returned. Slugs are
    ``slug_of(n, count, prefix)``.
    """
    hot = count if hot is None else min(hot, count)
    now = datetime.now(UTC)
    engine = create_engine(owner_url)
    seeded: list[Seeded] = []
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # The tables FORCE row-level security, owner included; this transaction seeds all.
            connection.execute(text("SELECT set_config('tenantry.all_tenants', 'on', true)"))
        slugs = [slug_of(i, count, prefix) for i in range(count)]
        rows = [
            {"slug": s, "name": s.upper(), "status": "active", "revision": 1, "created_at": now}
            for s in slugs
        ]
        ids = _insert_returning_ids(connection, Tenant.__table__, rows)
        connection.execute(
            insert(Domain.__table__),
            [
                {"hostname": f"{s}.{DOMAIN_SUFFIX}", "tenant_id": i, "created_at": now}
                for s, i in zip(slugs, ids, strict=True)
            ],
        )
        enabled = [
            {"tenant_id": i, "plugin": p, "enabled": True, "settings": {}}
            for i in ids
            for p in plugins
        ]
        if enabled:
            connection.execute(insert(TenantPlugin.__table__), enabled)
        users = [
            {
                "tenant_id": i,
                "email": f"admin@{s}.test",
                "name": "admin",
                "role": "admin",
                "active": True,
                "created_at": now,
                "password_hash": "!bench: no password login",
            }
            for s, i in zip(slugs[:hot], ids[:hot], strict=True)
        ]
        user_ids = _insert_returning_ids(connection, User.__table__, users) if users else []
        tokens: list[str] = []
        token_rows = []
        for tenant_id, user_id in zip(ids[:hot], user_ids, strict=True):
            secret = ApiToken.PREFIX + secrets.token_urlsafe(32)
            tokens.append(secret)
            token_rows.append(
                {
                    "tenant_id": tenant_id,
                    "user_id": user_id,
                    "name": "bench",
                    "token_hash": ApiToken.digest(secret),
                    "hint": secret[:10],
                    "created_at": now,
                }
            )
        if token_rows:
            connection.execute(insert(ApiToken.__table__), token_rows)
        next_public_id = 1
        if public_notes:
            next_public_id += connection.scalar(select(func.max(PUBLIC_NOTES.c.id))) or 0
        for n, (slug, tenant_id, user_id) in enumerate(
            zip(slugs[:hot], ids[:hot], user_ids, strict=True)
        ):
            note_ids: list[int] = []
            if notes:
                note_ids = _insert_returning_ids(
                    connection, Note.__table__, note_rows(tenant_id, user_id, slug, notes)
                )
            if public_notes:
                rows = public_rows(slug, public_notes, first_id=next_public_id)
                next_public_id += public_notes
                connection.execute(
                    insert(PUBLIC_NOTES), [{**r, "tenant_id": tenant_id} for r in rows]
                )
            seeded.append(Seeded(tenant_id, slug, tokens[n], tuple(note_ids)))
    engine.dispose()
    return seeded


def _insert_returning_ids(
    connection: Connection, table: Table, rows: list[dict[str, Any]]
) -> list[int]:
    statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    return [row[0] for row in connection.execute(statement, rows)]
