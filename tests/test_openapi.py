"""Each tenant's OpenAPI document and API page: built from the code, only its enabled plugins."""

from __future__ import annotations


def test_the_document_describes_the_enabled_plugins_api(make_tenant, tenant_client):
    client = tenant_client(make_tenant("acme", plugins=["notes"]))
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    document = response.json
    assert document["openapi"] == "3.1.0"
    assert document["info"]["title"] == "Acme API"
    assert document["servers"] == [{"url": "http://acme.localhost"}]
    create = document["paths"]["/notes/api/notes"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/NoteIn"
    }
    assert set(create["responses"]) == {"201", "400", "401", "422"}
    one = document["paths"]["/notes/api/notes/{note_id}"]
    assert one["get"]["parameters"][0]["schema"]["type"] == "integer"
    assert "404" in one["delete"]["responses"] and "204" in one["delete"]["responses"]
    listed = document["paths"]["/notes/api/notes"]["get"]
    assert {p["name"] for p in listed["parameters"]} == {"q", "tag", "page", "per_page"}
    error = document["components"]["schemas"]["Error"]
    assert error["required"] == ["error", "message", "status"]


def test_a_tenant_without_the_plugin_gets_no_operations_of_it(make_tenant, tenant_client):
    client = tenant_client(make_tenant("plain"))
    document = client.get("/api/openapi.json").json
    assert document["paths"] == {}
    page = client.get("/api/").get_data(as_text=True)
    assert "none of its plugins offers one" in page


def test_the_api_page_lists_each_operation_readably(make_tenant, tenant_client):
    client = tenant_client(make_tenant("acme", plugins=["notes"]))
    page = client.get("/api/").get_data(as_text=True)
    assert "Acme API" in page
    assert "/notes/api/notes/{note_id}" in page
    assert "Write a note" in page
    assert "date-time (UTC)" in page


def test_the_platform_has_no_api_document(platform_client):
    response = platform_client.get("/api/openapi.json")
    assert response.status_code == 404
    assert response.json["status"] == 404
