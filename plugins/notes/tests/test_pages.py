"""The notes pages: write, read (sanitised Markdown), search, edit, delete, dashboard slot."""

import re

from tenantry.testing import csrf_token


def create(client, title="Hello", body="**bold**", tags="Work, ideas"):
    token = csrf_token(client, "/notes/new")
    return client.post(
        "/notes/new", data={"title": title, "body": body, "tags": tags, "csrf_token": token}
    )


def test_writing_a_note_shows_it_rendered(client):
    response = create(client)
    assert response.status_code == 302
    page = client.get(response.location).get_data(as_text=True)
    assert "<strong>bold</strong>" in page
    assert ">ideas<" in page and ">work<" in page


def test_markdown_is_sanitised(client):
    response = create(
        client,
        body="<script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)>",
    )
    prose = client.get(response.location).get_data(as_text=True).split('class="prose"')[1]
    prose = prose.split("</div>")[0]
    assert "<script" not in prose and "<img" not in prose
    assert 'href="javascript' not in prose
    assert "&lt;script&gt;" in prose  # shown as text, harmless


def test_an_empty_title_is_refused_with_the_field_error(client):
    response = create(client, title="")
    assert response.status_code == 200
    assert "This field is required." in response.get_data(as_text=True)


def test_search_and_tags_filter_the_list(client):
    create(client, title="Alpha plan", tags="x")
    create(client, title="Beta", tags="y")
    body = client.get("/notes/?q=alpha").get_data(as_text=True)
    assert "Alpha plan" in body and "Beta" not in body
    body = client.get("/notes/?tag=y").get_data(as_text=True)
    assert "Beta" in body and "Alpha plan" not in body


def test_edit_and_delete(client):
    location = create(client).location
    note_id = int(re.search(r"/notes/(\d+)", location).group(1))
    token = csrf_token(client, f"/notes/{note_id}/edit")
    client.post(
        f"/notes/{note_id}/edit",
        data={"title": "Renamed", "body": "", "tags": "", "csrf_token": token},
    )
    assert "Renamed" in client.get(location).get_data(as_text=True)
    client.post(f"/notes/{note_id}/delete", data={"csrf_token": token})
    assert client.get(location).status_code == 404


def test_recent_notes_fill_the_dashboard(client):
    create(client, title="Dashboard note")
    body = client.get("/").get_data(as_text=True)
    assert 'data-testid="recent-notes"' in body and "Dashboard note" in body


def test_navigation_shows_notes_when_enabled(client):
    assert 'href="/notes/"' in client.get("/").get_data(as_text=True)


def test_an_edited_note_shows_its_new_text_at_once(client):
    """The rendered Markdown is cached per version of the note: an edit is a new version."""
    location = create(client, body="*first*").location
    assert "<em>first</em>" in client.get(location).get_data(as_text=True)
    token = csrf_token(client, f"{location}/edit")
    client.post(
        f"{location}/edit", data={"title": "Hello", "body": "*second*", "csrf_token": token}
    )
    page = client.get(location).get_data(as_text=True)
    assert "<em>second</em>" in page and "<em>first</em>" not in page


def test_the_dashboard_shows_a_new_note_at_once(client):
    """The recent-notes fragment is cached; writing a note drops it."""
    create(client, title="First on the dashboard")
    assert "First on the dashboard" in client.get("/").get_data(as_text=True)
    create(client, title="Second on the dashboard")
    assert "Second on the dashboard" in client.get("/").get_data(as_text=True)


def test_turning_markdown_off_shows_plain_text_at_once(client, acme, set_plugin_settings):
    location = create(client, body="**bold**").location
    assert "<strong>bold</strong>" in client.get(location).get_data(as_text=True)
    set_plugin_settings(acme, "notes", {"allow_markdown": False})
    page = client.get(location).get_data(as_text=True)
    assert "**bold**" in page and "<strong>bold</strong>" not in page


def test_one_tenants_cached_pages_never_reach_another(app, client, make_tenant, make_user):
    from tenantry.testing import client_for, do_login

    location = create(client, title="Acme secret", body="*acme only*").location
    client.get(location)
    client.get("/")
    globex = make_tenant("globex", plugins=["notes"])
    other = client_for(app, "globex.localhost")
    do_login(other, make_user(globex))
    assert other.get(location).status_code == 404
    assert "Acme secret" not in other.get("/").get_data(as_text=True)
