from pydantic import BaseModel, Field


class TasksSettings(BaseModel):
    show_completed: bool = Field(default=True, description="List completed tasks too.")
    default_due_days: int | None = Field(
        default=None, ge=0, le=365, description="New tasks are due this many days ahead."
    )
