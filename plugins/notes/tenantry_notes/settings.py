"""Per-tenant settings of the notes plugin, edited in the admin."""

from pydantic import BaseModel, Field


class NotesSettings(BaseModel):
    max_note_length: int = Field(
        default=20_000, ge=100, le=200_000, description="Longest note body, in characters."
    )
    allow_markdown: bool = Field(default=True, description="Render note bodies as Markdown.")
    per_page: int = Field(default=20, ge=5, le=100, description="Notes per page in the list.")
