"""How the app reads what a request brings: ids within a key's range, JSON of any depth.

Installed on the app before any route exists, so every route of the core,
Flask-Admin and every plugin reads its ids and JSON bodies this way.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.json.provider import DefaultJSONProvider
from werkzeug.routing import IntegerConverter

#: The largest value of a key on every database (the ids are BIGINT).
MAX_KEY = 2**63 - 1


class KeyConverter(IntegerConverter):
    """``<int:id>`` in every route, the core's and plugins': a number past the largest key
    reads as 0, which no row has, so the view answers its usual 404 instead of the
    database failing (SQLite: OverflowError past 2**63; PostgreSQL: out of range).
    Refusing it in the converter instead would make werkzeug answer 405 for some methods,
    where another rule matches the path."""

    def to_python(self, value: str) -> int:
        number = int(value)
        return number if number <= MAX_KEY else 0


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON, except that a body nested past the interpreter's stack (``[[[[...``
    100,000 deep) is invalid JSON, a 400, not a RecursionError and a 500."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None


def init_app(app: Flask) -> None:
    app.url_map.converters["int"] = KeyConverter
    app.json = JSONProvider(app)
