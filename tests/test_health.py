def test_healthz_answers_on_the_root_host(platform_client):
    response = platform_client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_readyz_reports_database_and_migrations_at_head(platform_client):
    response = platform_client.get("/readyz")
    assert response.status_code == 200
    assert response.json["migrations"] == "at head"


def test_health_answers_on_tenant_hosts_without_login(make_tenant, tenant_client):
    client = tenant_client(make_tenant("acme"))
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200


def test_readyz_is_503_when_migrations_are_pending(app, platform_client):
    expected = app.extensions["tenantry.heads"]
    app.extensions["tenantry.heads"] = expected | {"not-applied-yet"}
    try:
        response = platform_client.get("/readyz")
    finally:
        app.extensions["tenantry.heads"] = expected
    assert response.status_code == 503
    assert "tenantry db upgrade" in response.json["hint"]
