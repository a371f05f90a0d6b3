"""What the JSON API accepts and returns; the site's OpenAPI document is built from these."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from tenantry_notes.models import Note

MAX_PAGE = 1_000_000
MAX_PER_PAGE = 100


#: What counts as blank around a title, spelled out so that Python, pydantic and the
#: OpenAPI document's (ECMAScript) pattern agree on it.
BLANK = " \t\n\r\f\v\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
Title = Annotated[
    str,
    Field(
        min_length=1,
        max_length=200,
        pattern=f"^[^\\u0000]*[^{BLANK}\\u0000][^\\u0000]*$",
        description="Shown in lists; not blank.",
    ),
]
_EDGES = re.compile(f"^[{BLANK}]+|[{BLANK}]+$")


def trimmed(text: str) -> str:
    """``text`` without blanks at either end (the same blanks the pattern above means)."""
    return _EDGES.sub("", text)


Tag = Annotated[str, Field(max_length=40)]
Tags = Annotated[
    list[Tag],
    Field(
        max_length=20,
        description="Lowercased, trimmed, sorted and without duplicates when stored "
        "(the pages edit them as comma-separated text).",
    ),
]
Body = Annotated[str, Field(description="Markdown, rendered when the site allows it.")]


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title
    body: Body = ""
    tags: Tags = Field(default_factory=list)


class NotePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title | None = None
    body: Body | None = None
    tags: Tags | None = None


class NoteQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    q: str = Field(default="", max_length=100, description="Text in the title, body or tags.")
    tag: str = Field(default="", max_length=40, description="Only notes with this tag.")
    page: int = Field(default=1, ge=1, le=MAX_PAGE, description="Page number, from 1.")
    per_page: int = Field(default=20, ge=1, le=MAX_PER_PAGE, description="Notes per page.")


class NoteOut(BaseModel):
    id: int
    title: str
    body: str
    tags: list[str]
    author: str | None = Field(description="The author's email; null once they are gone.")
    created_at: datetime = Field(description="UTC.")
    updated_at: datetime = Field(description="UTC.")

    @classmethod
    def of(cls, note: Note) -> NoteOut:
        return cls(
            id=note.id,
            title=note.title,
            body=note.body,
            tags=note.tag_list,
            author=note.author.email if note.author else None,
            created_at=note.created_at,
            updated_at=note.updated_at,
        )


class NotePage(BaseModel):
    items: list[NoteOut]
    page: int
    per_page: int
    total: int = Field(description="Notes matching, on all pages.")
    pages: int
