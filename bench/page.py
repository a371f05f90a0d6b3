"""The public page's bytes, as every bare twin writes them (the plugin writes the same).

A tenant's 20 newest notes as ``{"items": [{"id", "title", "body", "created_at"}]}``,
compact, times in UTC with their offset. Imports nothing of tenantry: the bare
servers must not load it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime

PATH = "/public/notes.json"
PAGE_SIZE = 20


def utc(moment: datetime) -> datetime:
    """``moment`` in UTC; a naive one (SQLite) is taken to be UTC already."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def page_json(rows: Iterable[tuple[int, str, str, datetime]]) -> str:
    """The page for ``(id, title, body, created_at)`` rows, newest first."""
    items = [
        {"id": id_, "title": title, "body": body, "created_at": utc(created).isoformat()}
        for id_, title, body, created in rows
    ]
    return json.dumps({"items": items}, separators=(",", ":"))
