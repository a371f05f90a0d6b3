"""``/public/notes.json`` (the page) and ``/healthz`` (no database: the bench's readiness probe)."""

from __future__ import annotations

from django.http import JsonResponse
from django.urls import path

from bench.peers.djangoapp.publicnotes.views import newest


def healthz(_request: object) -> JsonResponse:
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("public/notes.json", newest),
    path("healthz", healthz),
]
