"""The baseline: a bare Flask + SQLAlchemy app serving the same notes page as tenantry.

No tenancy, no plugins, no authentication: what a hand-written single-purpose
app costs. It has the same table shape as ``notes_note`` and ``tenantry_user``,
sends the same SQL (the page's count, then 20 rows ``WHERE tenant_id = ...
ORDER BY updated_at DESC, id DESC``, the author by primary key) and answers the
same JSON fields, so tenantry/bare measures exactly what the platform adds.
Like tenantry it opens a plain Session per request and serves with waitress.

    BARE_DATABASE_URL=sqlite:///x.db BARE_PORT=8001 python -m bench.bare_app
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any

from flask import Flask, g
from sqlalchemy import DateTime, Engine, Index, String, Text, create_engine, event, func, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship

#: The bare app serves a single customer; its rows carry the id the query filters on.
TENANT_ID = 1
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


def create_app(url: str) -> Flask:
    app = Flask("bare")
    engine = make_engine(url)

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
        per_page, page = 20, 1
        query = (
            select(Note)
            .where(Note.tenant_id == TENANT_ID)
            .order_by(Note.updated_at.desc(), Note.id.desc())
        )
        db = session()
        total = db.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
        notes = db.scalars(query.limit(per_page).offset((page - 1) * per_page)).all()
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

    return app


def seed(owner_url: str, app_role: str | None, notes: int) -> None:
    """Create the tables (granting them to ``app_role`` on PostgreSQL) and ``notes`` notes."""
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
        connection.execute(insert(Note.__table__), note_rows(TENANT_ID, 1, "bare", notes))
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
