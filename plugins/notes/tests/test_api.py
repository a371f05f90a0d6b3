"""The notes JSON API, on SQLite and PostgreSQL."""

from datetime import datetime, timedelta

import pytest
from conftest import api

from tenantry.testing import client_for, csrf_token, do_login


def test_create_then_read_a_note(client):
    created = api(
        client, "post", "/notes", json={"title": "Plan", "body": "*go*", "tags": ["B", "a"]}
    )
    assert created.status_code == 201
    note = created.json
    assert note["tags"] == ["a", "b"] and note["author"] == "ann@acme.test"
    assert created.headers["Location"].endswith(f"/notes/api/notes/{note['id']}")
    assert api(client, "get", f"/notes/{note['id']}").json["title"] == "Plan"


def test_timestamps_are_utc_with_an_offset_whether_written_or_read(client):
    created = api(client, "post", "/notes", json={"title": "When"}).json
    read = api(client, "get", f"/notes/{created['id']}").json
    listed = api(client, "get", "/notes").json["items"][0]
    for note in (created, read, listed):
        for key in ("created_at", "updated_at"):
            moment = datetime.fromisoformat(note[key])
            assert moment.utcoffset() == timedelta(0), note[key]
    assert read["created_at"] == created["created_at"] == listed["created_at"]


def test_an_id_beyond_any_key_is_404_not_a_database_error(client):
    assert api(client, "get", f"/notes/{2**31}").status_code == 404
    assert api(client, "get", f"/notes/{2**63}").json["status"] == 404


def test_validation_errors_are_422_with_field_errors(client):
    response = api(client, "post", "/notes", json={"title": "", "extra": 1})
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"title", "extra"}
    assert response.json["status"] == 422
    assert response.json["error"] == "Unprocessable Entity"


def test_a_body_that_is_not_a_json_object_is_422(client):
    response = api(client, "post", "/notes", data="nope", content_type="application/json")
    assert response.status_code == 422


def test_the_tenants_max_note_length_applies(client, acme, set_plugin_settings):
    set_plugin_settings(acme, "notes", {"max_note_length": 100})
    response = api(client, "post", "/notes", json={"title": "long", "body": "x" * 101})
    assert response.status_code == 422
    assert "at most 100" in response.json["errors"]["body"]


def test_list_is_paginated_and_searchable(client):
    for i in range(25):
        api(
            client,
            "post",
            "/notes",
            json={"title": f"note {i}", "tags": ["even" if i % 2 == 0 else "odd"]},
        )
    first = api(client, "get", "/notes?per_page=10").json
    assert (first["total"], first["pages"], len(first["items"])) == (25, 3, 10)
    assert api(client, "get", "/notes?q=note 1&per_page=100").json["total"] == 11
    assert api(client, "get", "/notes?tag=odd&per_page=100").json["total"] == 12
    too_many = api(client, "get", "/notes?per_page=1000")
    assert too_many.status_code == 422
    assert "less than or equal to 100" in too_many.json["errors"]["query.per_page"]


def test_patch_changes_only_given_fields(client):
    note = api(client, "post", "/notes", json={"title": "A", "body": "keep"}).json
    patched = api(client, "patch", f"/notes/{note['id']}", json={"title": "B"}).json
    assert (patched["title"], patched["body"]) == ("B", "keep")


def test_delete_then_404(client):
    note = api(client, "post", "/notes", json={"title": "A"}).json
    assert api(client, "delete", f"/notes/{note['id']}").status_code == 204
    assert api(client, "get", f"/notes/{note['id']}").status_code == 404


def test_anonymous_calls_are_401_json(app, acme):
    response = client_for(app, "acme.localhost").get("/notes/api/notes")
    assert response.status_code == 401 and response.json["status"] == 401


def test_another_tenants_ids_answer_exactly_like_missing_ones(app, client, make_tenant, make_user):
    bravo = make_tenant("bravo", plugins=["notes"])
    other = client_for(app, "bravo.localhost")
    do_login(other, make_user(bravo))
    other.csrf = csrf_token(other, "/notes/new")
    theirs = api(other, "post", "/notes", json={"title": "bravo secret"}).json["id"]
    for method in ("get", "patch", "delete"):
        foreign = api(client, method, f"/notes/{theirs}", json={"title": "x"})
        missing = api(client, method, "/notes/987654", json={"title": "x"})
        assert foreign.status_code == missing.status_code == 404
        assert foreign.json == missing.json
    assert "bravo secret" not in api(client, "get", "/notes?per_page=100").get_data(as_text=True)


@pytest.mark.parametrize("path", ["/notes/api/notes", "/notes/"])
def test_notes_are_not_on_the_root_host_or_for_tenants_without_the_plugin(app, make_tenant, path):
    make_tenant("plain")
    assert client_for(app, "localhost").get(path).status_code == 404
    assert client_for(app, "plain.localhost").get(path).status_code == 404


def test_one_tenants_settings_never_apply_to_another(
    app, client, acme, make_tenant, make_user, set_plugin_settings
):
    """Per-tenant settings are cached per tenant id and revision, never shared."""

    bravo = make_tenant("bravo", plugins=["notes"])
    other = client_for(app, "bravo.localhost")
    do_login(other, make_user(bravo))
    other.csrf = csrf_token(other, "/notes/new")
    assert (
        api(other, "post", "/notes", json={"title": "warm", "body": "x" * 500}).status_code == 201
    )
    set_plugin_settings(acme, "notes", {"max_note_length": 100})
    assert api(client, "post", "/notes", json={"title": "a", "body": "x" * 500}).status_code == 422
    assert api(other, "post", "/notes", json={"title": "b", "body": "x" * 500}).status_code == 201
