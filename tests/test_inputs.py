"""Bad input answers a clear 4xx and writes nothing: ids, pages, JSON and forms (item 11)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tenantry import db, tenant_context
from tenantry.testing import client_for, csrf_token, do_login

TOO_BIG = ["2147483648", "9223372036854775808", "99999999999999999999"]


@pytest.fixture
def acme(make_tenant):
    return make_tenant("acme", plugins=["tasks"])


@pytest.fixture
def admin(app, acme, make_user):
    client = client_for(app, "acme.localhost")
    do_login(client, make_user(acme, role="admin"))
    return client


def notes_of(app, tenant) -> int:
    from tenantry_notes.models import Note

    with app.app_context(), tenant_context(tenant):
        return db.session.scalar(select(func.count()).select_from(Note))


def test_an_id_beyond_any_key_is_not_found(admin):
    token = csrf_token(admin, "/account/tokens")
    for number in TOO_BIG:
        for path in ("/notes/{}", "/notes/{}/edit", "/notes/api/notes/{}", "/tasks/{}/edit"):
            assert admin.get(path.format(number)).status_code == 404, path
        revoke = admin.post(f"/account/tokens/{number}/revoke", data={"csrf_token": token})
        assert revoke.status_code == 404


def test_a_page_number_beyond_any_page_is_an_empty_page(admin):
    for path in ("/manage/users/", "/manage/notes_note/", "/notes/"):
        assert admin.get(f"{path}?page=99999999999999999999").status_code == 200, path


def test_the_api_refuses_a_page_number_past_its_documented_range_by_field(admin):
    response = admin.get("/notes/api/notes?page=99999999999999999999")
    assert response.status_code == 422
    assert "query.page" in response.json["errors"]


def test_json_nested_past_the_stack_is_refused_and_writes_nothing(app, acme, admin):
    token = csrf_token(admin, "/notes/new")
    response = admin.post(
        "/notes/api/notes",
        data="[" * 100_000 + "]" * 100_000,
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 422
    assert notes_of(app, acme) == 0


@pytest.mark.parametrize("page", ["/notes/new", "/notes/{id}/edit"])
def test_the_notes_form_without_its_tags_field_saves(app, acme, admin, page):
    from tenantry_notes.models import Note

    with app.app_context(), tenant_context(acme):
        note = Note(title="Old", tags="keep")
        db.session.add(note)
        db.session.commit()
        path = page.format(id=note.id)
    token = csrf_token(admin, path)
    response = admin.post(path, data={"title": "Titled", "body": "b", "csrf_token": token})
    assert response.status_code == 302


# --- found by the fuzzing harness (tests/fuzz) ---------------------------------------------


def test_an_admin_filter_value_beyond_its_column_is_invalid_not_an_error(app, make_operator):
    operator = client_for(app, "localhost")
    do_login(operator, make_operator())
    for value in ("2147483648", "9223372036854775808", "1,99999999999999999999"):
        response = operator.get("/admin/notes_note/", query_string={"flt0_0": value})
        assert response.status_code == 200
        assert "Invalid Filter Value" in response.get_data(as_text=True)


def test_a_form_posted_as_json_that_is_not_an_object_is_not_read(app, acme, admin):
    token = csrf_token(admin, "/notes/new")
    for body in (b"false", b"[1]", b'"x"', b"42"):
        for path in ("/notes/new", "/login", "/manage/users/new/"):
            response = admin.post(
                path, data=body, content_type="application/json", headers={"X-CSRFToken": token}
            )
            assert response.status_code == 200, (path, body)
    assert notes_of(app, acme) == 0


def test_a_multipart_part_without_a_name_is_refused(admin):
    token = csrf_token(admin, "/notes/new")
    response = admin.post(
        "/notes/new", data={"\r": "1", "csrf_token": token}, content_type="multipart/form-data"
    )
    assert response.status_code == 400


def test_an_operator_revoking_a_token_finds_none(app, make_operator):
    operator = client_for(app, "localhost")
    do_login(operator, make_operator())
    token = csrf_token(operator, "/login")
    assert operator.post("/account/tokens/1/revoke", data={"csrf_token": token}).status_code == 404


def test_a_tenant_id_beyond_any_key_in_the_plugins_page_is_not_found(app, make_operator):
    operator = client_for(app, "localhost")
    do_login(operator, make_operator())
    for value in ("2147483648", "9223372036854775808", "x"):
        assert (
            operator.get("/admin/tenants/plugins/", query_string={"id": value}).status_code == 404
        )
