"""Flask-Admin's list filters, with integer values kept within their column's range, and
our column types known.

``?flt0_0=99999999999999999999`` on an integer column failed in the database
(SQLite: OverflowError; PostgreSQL: out of range): a 500. Here such a value is
invalid, which Flask-Admin reports ("Invalid Filter Value") and skips. Flask-Admin
knows column types by class name: ``UtcDateTime`` is filtered as a datetime.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from flask_admin.contrib.sqla import filters as sqla_filters
from flask_admin.model import filters
from sqlalchemy import BigInteger, SmallInteger

#: The largest value of an ``Integer`` column on every database (PostgreSQL's INTEGER).
INTEGER_MAX = 2**31 - 1


class _WithinColumn:
    limit = INTEGER_MAX

    def clean(self, value: str) -> Any:
        cleaned = super().clean(value)  # type: ignore[misc]
        numbers = cleaned if isinstance(cleaned, list) else [cleaned]
        if any(not -self.limit - 1 <= number <= self.limit for number in numbers):
            raise ValueError(f"beyond the column's range (±{self.limit})")
        return cleaned


@cache
def _bounded(filter_class: type, limit: int) -> type:
    if not issubclass(filter_class, filters.BaseIntFilter | filters.BaseIntListFilter):
        return filter_class  # "empty" and the like take no number
    return type(filter_class.__name__, (_WithinColumn, filter_class), {"limit": limit})


class FilterConverter(sqla_filters.FilterConverter):
    @filters.convert(
        "int", "integer", "smallinteger", "smallint", "biginteger", "bigint", "mediumint"
    )
    def conv_int(self, column: Any, name: str, **kwargs: Any) -> list[Any]:
        if isinstance(column.type, BigInteger):
            limit = 2**63 - 1
        elif isinstance(column.type, SmallInteger):
            limit = 2**15 - 1
        else:
            limit = INTEGER_MAX
        return [_bounded(f, limit)(column, name, **kwargs) for f in self.int_filters]

    @filters.convert("utcdatetime")
    def conv_utc_datetime(self, column: Any, name: str, **kwargs: Any) -> Any:
        return self.conv_datetime(column, name, **kwargs)
