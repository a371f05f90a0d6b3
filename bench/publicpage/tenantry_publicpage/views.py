"""``/public/notes.json``: the tenant's 20 newest notes, for anyone (no login).

Serialised by hand with ``json.dumps`` so that the benchmarks' bare twins, which
do the same, answer byte for byte the same body.
"""

from __future__ import annotations

import json

from flask import Blueprint, Response
from sqlalchemy import select

from tenantry import db
from tenantry_publicpage.models import PublicNote

PAGE_SIZE = 20

bp = Blueprint("publicpage", __name__)


@bp.get("/notes.json")
def newest() -> Response:
    notes = db.session.scalars(
        select(PublicNote)
        .order_by(PublicNote.created_at.desc(), PublicNote.id.desc())
        .limit(PAGE_SIZE)
    )
    items = [
        {"id": n.id, "title": n.title, "body": n.body, "created_at": n.created_at.isoformat()}
        for n in notes
    ]
    return Response(
        json.dumps({"items": items}, separators=(",", ":")), mimetype="application/json"
    )
