"""The baseline: a bare Flask + SQLAlchemy app serving the same pages as tenantry.

No tenancy, no plugins, no platform: what a competent engineer would hand-write for
the same output, and nothing more. Its tables have the shapes of tenantry's
(``tenantry_user``, ``tenantry_api_token``, ``notes_note``, ``publicpage_note``)
and its rows carry the one ``tenant_id`` its queries filter on, so both apps send
the same queries. Like tenantry it opens a plain Session per request and serves
with waitress (but has no pool pre-ping: a bare app's default).

- ``/notes/api/notes`` with ``Authorization: Bearer <token>``: the token and its
  user in one query (token joined to user), then the page in one query (the 20
  newest notes with their authors and, on PostgreSQL, the total as ``count(*)
  OVER ()``; on SQLite a separate count, which measures faster there, as
  tenantry's ``paginate`` does). Same JSON fields as tenantry's notes API.
- ``/public/notes.json``: the 20 newest public notes, one query, no login; the same
  bytes as the ``publicpage`` plugin (``bench/publicpage``).

    BARE_DATABASE_URL=sqlite:///x.db BARE_PORT=8001 python -m bench.bare_app
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from flask import Flask, Response, abort, g, request
from sqlalchemy import (
    DateTime,
    Engine,
    ForeignKey,
    Index,
    String,
    Text,
    create_engine,
    event,
    func,
    select,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, joinedload, mapped_column, relationship

from bench.page import PAGE_SIZE, PATH, page_json

#: The bare app serves a single customer; its rows carry the id the queries filter on.
TENANT_ID = 1
#: The API token of the bare app's one user (the benchmarks send it on the notes page).
TOKEN = "tnt_bare-benchmark-token"
GRANT = "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}"


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "tenantry_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(index=True)
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(16), default="member")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    password_hash: Mapped[str] = mapped_column(String(255))


class ApiToken(Base):
    __tablename__ = "tenantry_api_token"
    __table_args__ = (Index("ix_bare_token", "tenant_id", "token_hash", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int]
    user_id: Mapped[int] = mapped_column(ForeignKey("tenantry_user.id"))
    token_hash: Mapped[str] = mapped_column(String(64))


class Note(Base):
    __tablename__ = "notes_note"
    __table_args__ = (Index("ix_notes_note_tenant_updated", "tenant_id", "updated_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(index=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[str] = mapped_column(String(500), default="")
    author_id: Mapped[int | None] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    author: Mapped[User | None] = relationship(
        primaryjoin="foreign(Note.author_id) == User.id", lazy="select"
    )


class PublicNote(Base):
    __tablename__ = "publicpage_note"
    __table_args__ = (Index("ix_publicpage_note_tenant_created", "tenant_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def make_engine(url: str) -> Engine:
    """The same pool and SQLite pragmas as tenantry (but no pool pre-ping: a bare app's default)."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            for pragma in ("foreign_keys=ON", "journal_mode=WAL", "synchronous=NORMAL"):
                cursor.execute(f"PRAGMA {pragma}")
            cursor.execute("PRAGMA busy_timeout=5000")
            cursor.close()

        return engine
    return create_engine(url, pool_size=10, max_overflow=20)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_app(url: str) -> Flask:
    app = Flask("bare")
    engine = make_engine(url)
    window_count = engine.dialect.name != "sqlite"

    def session() -> Session:
        if "session" not in g:
            g.session = Session(engine, expire_on_commit=False)
        return g.session

    @app.teardown_appcontext
    def _close(_exc: BaseException | None) -> None:
        found = g.pop("session", None)
        if found is not None:
            found.close()

    @app.get("/healthz")
    def hello() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/notes/api/notes")
    def list_notes() -> dict[str, Any]:
        db = session()
        secret = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        user = db.scalar(
            select(User)
            .join(ApiToken, ApiToken.user_id == User.id)
            .where(ApiToken.tenant_id == TENANT_ID, ApiToken.token_hash == digest(secret))
        )
        if user is None or not user.active:
            abort(401)
        per_page, page = 20, 1
        query = (
            select(Note)
            .options(joinedload(Note.author))
            .where(Note.tenant_id == TENANT_ID)
            .order_by(Note.updated_at.desc(), Note.id.desc())
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
        if window_count:
            rows = db.execute(query.add_columns(func.count().over())).all()
            notes, total = [row[0] for row in rows], rows[0][1] if rows else 0
        else:
            total = db.scalar(select(func.count()).where(Note.tenant_id == TENANT_ID)) or 0
            notes = list(db.scalars(query))
        return {
            "items": [
                {
                    "id": note.id,
                    "title": note.title,
                    "body": note.body,
                    "tags": [tag for tag in note.tags.split(",") if tag],
                    "author": note.author.email if note.author else None,
                    "created_at": note.created_at.isoformat(),
                    "updated_at": note.updated_at.isoformat(),
                }
                for note in notes
            ],
            "page": page,
            "per_page": per_page,
            "total": total,
            "pages": max(1, -(-total // per_page)),
        }

    @app.get(PATH)
    def public_notes() -> Response:
        notes = session().scalars(
            select(PublicNote)
            .where(PublicNote.tenant_id == TENANT_ID)
            .order_by(PublicNote.created_at.desc(), PublicNote.id.desc())
            .limit(PAGE_SIZE)
        )
        body = page_json((n.id, n.title, n.body, n.created_at) for n in notes)
        return Response(body, mimetype="application/json")

    return app


def seed(
    owner_url: str,
    app_role: str | None,
    notes: int,
    public_notes: Sequence[dict[str, Any]] = (),
) -> None:
    """Create the tables (granting them to ``app_role`` on PostgreSQL), one user whose API
    token is ``TOKEN``, ``notes`` notes and the ``public_notes`` rows (as given)."""
    from sqlalchemy import insert, text

    # Imported here, not at the top: the baseline's server process must not load tenantry.
    from bench.harness.seeding import note_rows

    engine = create_engine(owner_url)
    Base.metadata.create_all(engine)
    with engine.begin() as connection:
        if app_role and connection.dialect.name == "postgresql":
            connection.execute(text(GRANT.format(role=app_role)))
        connection.execute(
            insert(User.__table__),
            [
                {
                    "id": 1,
                    "tenant_id": TENANT_ID,
                    "email": "admin@bare.test",
                    "name": "admin",
                    "role": "admin",
                    "active": True,
                    "created_at": datetime.now().astimezone(),
                    "password_hash": "!",
                }
            ],
        )
        connection.execute(
            insert(ApiToken.__table__),
            [{"tenant_id": TENANT_ID, "user_id": 1, "token_hash": digest(TOKEN)}],
        )
        if notes:
            connection.execute(insert(Note.__table__), note_rows(TENANT_ID, 1, "bare", notes))
        if public_notes:
            connection.execute(
                insert(PublicNote.__table__),
                [{**row, "tenant_id": TENANT_ID} for row in public_notes],
            )
    engine.dispose()


def main() -> None:
    from waitress import serve

    serve(
        create_app(os.environ["BARE_DATABASE_URL"]),
        host="127.0.0.1",
        port=int(os.environ.get("BARE_PORT", "8001")),
        threads=int(os.environ.get("BARE_THREADS", "8")),
        ident="bare",
    )


if __name__ == "__main__":
    main()
