"""Many concurrent requests for different tenants through a real waitress server."""

import json
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from tenantry.testing import serve_in_thread


@pytest.fixture
def server(app):
    with serve_in_thread(app) as server:
        yield server


def test_no_context_bleeds_between_waitress_threads(app, server, make_tenant, make_user):
    from sqlalchemy import select

    from tenantry import db, tenant_context
    from tenantry.auth.models import ApiToken, User
    from tenantry_notes.models import Note

    tokens = {}
    for i in range(12):
        tenant = make_tenant(f"t{i}", plugins=["notes"])
        make_user(tenant, f"u@t{i}.test")
        with app.app_context(), tenant_context(tenant):
            user = db.session.scalar(select(User))
            db.session.add_all(Note(title=f"t{i}:{n}", author=user) for n in range(3))
            token, tokens[tenant.slug] = ApiToken.issue(user, "load")
            db.session.add(token)
            db.session.commit()

    port = server.effective_port

    def fetch(slug: str) -> tuple[str, set[str]]:
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/notes/api/notes",
            headers={"Host": f"{slug}.localhost", "Authorization": f"Bearer {tokens[slug]}"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            items = json.load(response)["items"]
        return slug, {item["title"].split(":")[0] for item in items}

    slugs = [f"t{i % 12}" for i in range(240)]
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(fetch, slugs))
    assert len(results) == 240
    bleed = [(slug, seen) for slug, seen in results if seen != {slug}]
    assert bleed == []
