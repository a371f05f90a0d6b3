"""A deployment's own resolution strategy: the example of docs/extending.md, both databases."""

from __future__ import annotations

from tenantry.testing import app_like, client_for, dispose


def test_the_partner_domain_example_serves_tenants_on_the_partners_domain(
    app, make_tenant, example
) -> None:
    make_tenant("acme", "Acme")
    make_tenant("bravo", "Bravo")
    example("resolver")
    site = app_like(app, **example("resolver-settings"))
    try:
        partner = client_for(site, "acme.partner.example").get("/")
        own = client_for(site, "acme.localhost").get("/")
        unknown = client_for(site, "nobody.partner.example").get("/")
        elsewhere = client_for(site, "acme.other.example").get("/")
    finally:
        dispose(site)
    assert partner.status_code == own.status_code == 200
    assert "Acme" in partner.text and "Bravo" not in partner.text
    assert unknown.status_code == 404
    assert elsewhere.status_code == 400  # not a trusted host at all
