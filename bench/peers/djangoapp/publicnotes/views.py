"""The page: the 20 newest notes of the schema the request is in, the same bytes as tenantry's."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from bench.page import PAGE_SIZE, page_json
from bench.peers.djangoapp.publicnotes.models import PublicNote


def newest(_request: HttpRequest) -> HttpResponse:
    notes = PublicNote.objects.order_by("-created_at", "-id")[:PAGE_SIZE]
    body = page_json((n.id, n.title, n.body, n.created_at) for n in notes)
    return HttpResponse(body, content_type="application/json")
