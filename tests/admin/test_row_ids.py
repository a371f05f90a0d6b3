"""Admin URLs name a tenant table's row by its single id, and the bulk actions take it."""

from __future__ import annotations

from sqlalchemy import func, select

from tenantry import all_tenants, db, tenant_context
from tenantry.testing import client_for, csrf_token, do_login


def add_notes(app, tenant, *titles: str) -> list[int]:
    from tenantry_notes.models import Note

    with app.app_context(), tenant_context(tenant):
        notes = [Note(title=title) for title in titles]
        db.session.add_all(notes)
        db.session.commit()
        return [note.id for note in notes]


def count_notes(app) -> dict[int, int]:
    from tenantry_notes.models import Note

    with app.app_context(), all_tenants():
        rows = db.session.execute(select(Note.tenant_id, func.count()).group_by(Note.tenant_id))
        return dict(rows.all())


def test_the_tenant_admin_links_rows_by_id_and_deletes_selected_ones(app, make_tenant, make_user):
    acme, globex = make_tenant("acme", plugins=["notes"]), make_tenant("globex", plugins=["notes"])
    first, second, _third = add_notes(app, acme, "one", "two", "three")
    [foreign] = add_notes(app, globex, "globex's")
    client = client_for(app, "acme.localhost")
    do_login(client, make_user(acme, "ann@acme.test", role="admin"))

    listing = client.get("/manage/notes_note/").get_data(as_text=True)
    assert f"/manage/notes_note/edit/?id={first}&" in listing.replace("&amp;", "&")
    assert client.get(f"/manage/notes_note/edit/?id={second}").status_code == 200
    assert client.get(f"/manage/notes_note/edit/?id={foreign}").status_code == 302  # not found

    response = client.post(
        "/manage/notes_note/action/",
        data={
            "action": "delete",
            "rowid": [str(first), str(second), str(foreign)],  # globex's id: not acme's to delete
            "csrf_token": csrf_token(client, "/manage/notes_note/"),
        },
        follow_redirects=True,
    )
    assert "2 records were successfully deleted." in response.get_data(as_text=True)
    assert count_notes(app) == {acme.id: 1, globex.id: 1}


def test_the_platform_admin_opens_any_tenants_row_by_its_id(app, make_tenant, make_operator):
    globex = make_tenant("globex", plugins=["notes"])
    [note] = add_notes(app, globex, "globex's")
    client = client_for(app, "localhost")
    do_login(client, make_operator())
    page = client.get(f"/admin/notes_note/details/?id={note}")
    assert page.status_code == 200
    assert "globex&#39;s" in page.get_data(as_text=True)
