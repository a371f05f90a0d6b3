"""What the JSON API accepts and returns."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tenantry_notes.models import Note


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str = Field(min_length=1, max_length=200)
    body: str = ""
    tags: list[str] = Field(default_factory=list, max_length=20)

    @field_validator("tags")
    @classmethod
    def _short_tags(cls, tags: list[str]) -> list[str]:
        if any(len(tag) > 40 for tag in tags):
            raise ValueError("each tag is at most 40 characters")
        return tags


class NotePatch(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str | None = Field(default=None, min_length=1, max_length=200)
    body: str | None = None
    tags: list[str] | None = Field(default=None, max_length=20)


class NoteOut(BaseModel):
    id: int
    title: str
    body: str
    tags: list[str]
    author: str | None
    created_at: datetime
    updated_at: datetime

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
