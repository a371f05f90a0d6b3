"""A customer's public note: in django-tenants' mode one table per tenant schema."""

from __future__ import annotations

from django.db import models


class PublicNote(models.Model):
    title = models.CharField(max_length=200)
    body = models.TextField(default="")
    created_at = models.DateTimeField()

    class Meta:
        db_table = "publicpage_note"
        indexes = [models.Index(fields=["created_at"], name="ix_publicpage_note_created")]
