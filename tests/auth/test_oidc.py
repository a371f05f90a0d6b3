"""Signing in with a tenant's OpenID Connect issuer, end to end against a real issuer on
loopback (``tenantry.testing.oidc_provider``): the app reads its discovery document and
keys, and exchanges codes, over real HTTP; the test's browser (the Flask test client)
goes to the issuer over real HTTP too. On SQLite and PostgreSQL."""

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from sqlalchemy import select

from tenantry import all_tenants, db, tenant_context
from tenantry.auditlog import AuditEntry
from tenantry.auth import oidc
from tenantry.auth.models import OidcProvider, User
from tenantry.testing import client_for, csrf_token, do_login

ANN = {"sub": "ann-1", "email": "ann@acme.test", "email_verified": True, "name": "Ann"}


@pytest.fixture
def acme(make_tenant):
    return make_tenant("acme", plugins=["notes"])


@pytest.fixture
def add_provider(app):
    """Set up an issuer for a tenant as its admins would (``oidc.save_provider``); its key."""

    def add(tenant, issuer, client_id="acme-app", secret="acme-secret", **overrides):
        issuer.add_client(client_id, secret)
        values = {
            "name": "Example SSO",
            "issuer": issuer.url,
            "client_id": client_id,
            "client_secret": secret,
            "allowed_domains": "",
            "auto_provision": False,
            "default_role": "member",
            "enabled": True,
            **overrides,
        }
        with app.app_context(), tenant_context(tenant):
            row = oidc.save_provider(db.session, None, **values)
            db.session.commit()
            return row.key

    return add


def go_to_issuer(client, key, **query):
    """Click "Sign in with ...": the app's redirect, then the issuer's answer (auto-consent)."""
    start = client.get(f"/login/via/{key}", query_string=query)
    assert start.status_code == 302, start.get_data(as_text=True)
    at_issuer = requests.get(start.location, allow_redirects=False, timeout=10)
    assert at_issuer.status_code == 302, at_issuer.text
    return urlsplit(at_issuer.headers["Location"])


def sign_in(client, key):
    """The whole round trip; the app's last answer, redirects followed on its host."""
    back = go_to_issuer(client, key)
    assert back.netloc == client.host  # the redirect URI is on the tenant's own host
    return client.get(f"{back.path}?{back.query}", follow_redirects=True)


def signed_in(client):
    return client.get("/notes/").status_code == 200


def test_the_login_page_offers_the_provider_and_starts_from_discovery(
    app, acme, oidc_issuer, add_provider
):
    key = add_provider(acme, oidc_issuer)
    client = client_for(app, "acme.localhost")
    page = client.get("/login").get_data(as_text=True)
    assert "Sign in with Example SSO" in page and f"/login/via/{key}" in page

    start = client.get(f"/login/via/{key}")
    target = urlsplit(start.location)
    query = parse_qs(target.query)
    assert f"{target.scheme}://{target.netloc}{target.path}" == f"{oidc_issuer.url}/authorize"
    assert query["client_id"] == ["acme-app"]
    assert query["redirect_uri"] == [f"http://acme.localhost/login/via/{key}/callback"]
    assert query["scope"] == ["openid email profile"]
    assert query["code_challenge_method"] == ["S256"]
    assert query["state"][0] and query["nonce"][0]


def test_a_user_signs_in_with_the_issuer_and_lands_where_they_were_going(
    app, acme, make_user, oidc_issuer, add_provider
):
    make_user(acme, "ann@acme.test")
    key = add_provider(acme, oidc_issuer)
    oidc_issuer.person = ANN
    client = client_for(app, "acme.localhost")
    back = go_to_issuer(client, key, next="/notes/")
    landing = client.get(f"{back.path}?{back.query}")
    assert landing.status_code == 302 and landing.location == "/notes/"
    assert signed_in(client)
    with app.app_context(), tenant_context(acme):
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.signed_in"))
        assert entry.detail == {"provider": key}


def test_signing_out_ends_the_session_here_and_at_the_issuer(
    app, acme, make_user, oidc_issuer, add_provider
):
    make_user(acme, "ann@acme.test")
    key = add_provider(acme, oidc_issuer)
    oidc_issuer.person = ANN
    client = client_for(app, "acme.localhost")
    sign_in(client, key)
    assert signed_in(client)

    out = client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    page = out.get_data(as_text=True)
    assert out.status_code == 200 and "Signing you out of Example SSO too" in page
    onwards = html.unescape(re.search(r'href="([^"]*/end_session[^"]*)"', page).group(1))
    assert onwards.startswith(f"{oidc_issuer.url}/end_session?")
    back = requests.get(onwards, allow_redirects=False, timeout=10)
    assert back.headers["Location"].startswith("http://acme.localhost/login")
    ended = oidc_issuer.ended_sessions[-1]
    assert ended["client_id"] == "acme-app" and ended["id_token_hint"]
    assert not signed_in(client)


@pytest.mark.parametrize(
    ("person", "expected"),
    [
        (
            {**ANN, "email_verified": False},
            "Example SSO has not verified your email address ann@acme.test",
        ),
        ({**ANN, "email": "ann@elsewhere.test"}, "There is no account for ann@elsewhere.test"),
        ({"sub": "x", "email_verified": True}, "Example SSO did not tell us your email address"),
    ],
    ids=["unverified-email", "unknown-person", "no-email"],
)
def test_who_may_not_come_in_is_told_why(
    app, acme, make_user, oidc_issuer, add_provider, person, expected
):
    make_user(acme, "ann@acme.test")
    key = add_provider(acme, oidc_issuer)
    oidc_issuer.person = person
    client = client_for(app, "acme.localhost")
    page = sign_in(client, key)
    assert page.status_code == 200
    assert expected in page.get_data(as_text=True)
    assert not signed_in(client)


def test_an_id_token_for_another_audience_is_refused(
    app, acme, make_user, oidc_issuer, add_provider
):
    make_user(acme, "ann@acme.test")
    key = add_provider(acme, oidc_issuer)
    oidc_issuer.person, oidc_issuer.audience = ANN, "someone-else"
    client = client_for(app, "acme.localhost")
    page = sign_in(client, key).get_data(as_text=True)
    assert "The sign-in token from Example SSO was issued for another site" in page
    assert not signed_in(client)


def test_an_id_token_for_another_tenants_client_is_refused(
    app, acme, make_tenant, make_user, oidc_issuer, add_provider
):
    bravo = make_tenant("bravo", plugins=["notes"])
    make_user(acme, "ann@acme.test")
    make_user(bravo, "ann@acme.test")
    acme_key = add_provider(acme, oidc_issuer)
    bravo_key = add_provider(bravo, oidc_issuer, client_id="bravo-app", secret="bravo-secret")
    oidc_issuer.person = ANN

    # The issuer hands acme's client a token minted for bravo's client.
    oidc_issuer.audience = "bravo-app"
    acme_client = client_for(app, "acme.localhost")
    page = sign_in(acme_client, acme_key).get_data(as_text=True)
    assert "was issued for another site" in page and not signed_in(acme_client)

    # A code from a sign-in started on bravo's host, brought to acme's: not acme's sign-in.
    oidc_issuer.audience = None
    back = go_to_issuer(client_for(app, "bravo.localhost"), bravo_key)
    stolen = acme_client.get(
        f"/login/via/{acme_key}/callback?{back.query}", follow_redirects=True
    ).get_data(as_text=True)
    assert "was not started in this browser" in stolen and not signed_in(acme_client)


def test_a_callback_cannot_be_replayed(app, acme, make_user, oidc_issuer, add_provider):
    make_user(acme, "ann@acme.test")
    key = add_provider(acme, oidc_issuer)
    oidc_issuer.person = ANN
    attacker = client_for(app, "acme.localhost")
    back = go_to_issuer(attacker, key)
    victim = client_for(app, "acme.localhost")  # another browser: no state of this sign-in
    page = victim.get(f"{back.path}?{back.query}", follow_redirects=True).get_data(as_text=True)
    assert "was not started in this browser" in page and not signed_in(victim)


def test_domains_and_auto_provisioning(app, acme, oidc_issuer, add_provider):
    key = add_provider(acme, oidc_issuer, allowed_domains="acme.test", auto_provision=True)
    oidc_issuer.person = {**ANN, "email": "eve@evil.test"}
    client = client_for(app, "acme.localhost")
    page = sign_in(client, key).get_data(as_text=True)
    assert "eve@evil.test may not sign in here with Example SSO" in page
    assert "only addresses at acme.test" in page

    oidc_issuer.person = {**ANN, "email": "New@Acme.test", "name": "New Person"}
    sign_in(client, key)
    assert signed_in(client)
    with app.app_context(), tenant_context(acme):
        user = db.session.scalar(select(User).where(User.email == "new@acme.test"))
        assert (user.name, user.role, user.tenant_id) == ("New Person", "member", acme.id)
        assert not user.check_password("")  # no usable password: a reset link sets one
    # The next sign-in opens the same account, not a second one.
    client = client_for(app, "acme.localhost")
    sign_in(client, key)
    assert signed_in(client)
    with app.app_context(), tenant_context(acme):
        assert len(db.session.scalars(select(User)).all()) == 1


def test_an_issuer_that_cannot_be_reached_is_a_clear_message(app, acme, add_provider):
    from tenantry.testing import free_port

    class Nowhere:
        url = f"http://127.0.0.1:{free_port()}"

        def add_client(self, *_):
            pass

    app.extensions["tenantry.settings"].oidc_allow_http_issuers = True
    try:
        key = add_provider(acme, Nowhere())
    finally:
        app.extensions["tenantry.settings"].oidc_allow_http_issuers = False
    client = client_for(app, "acme.localhost")
    page = client.get(f"/login/via/{key}", follow_redirects=True).get_data(as_text=True)
    assert "Example SSO cannot be reached right now" in page


# --- the tenant admin's form ------------------------------------------------------------


@pytest.fixture
def admins(app, make_tenant, make_user):
    acme, bravo = make_tenant("acme"), make_tenant("bravo")
    acme_admin, bravo_admin = client_for(app, "acme.localhost"), client_for(app, "bravo.localhost")
    do_login(acme_admin, make_user(acme, "boss@acme.test", role="admin"))
    do_login(bravo_admin, make_user(bravo, "boss@bravo.test", role="admin"))
    return acme, acme_admin, bravo_admin


def form(issuer_url, **overrides):
    return {
        "name": "Acme SSO",
        "issuer": issuer_url,
        "client_id": "acme-app",
        "new_client_secret": "the-acme-secret",
        "allowed_domains": "acme.test, @acme.example",
        "auto_provision": "y",
        "default_role": "member",
        "enabled": "y",
        **overrides,
    }


def test_a_tenant_admin_sets_up_a_provider_and_its_secret_is_never_shown(app, admins, oidc_issuer):
    acme, acme_admin, bravo_admin = admins
    token = csrf_token(acme_admin, "/manage/sign_in/new/")
    created = acme_admin.post(
        "/manage/sign_in/new/", data={**form(oidc_issuer.url), "csrf_token": token}
    )
    assert created.status_code == 302, created.get_data(as_text=True)
    with app.app_context(), all_tenants():
        row = db.session.scalar(select(OidcProvider))
        assert row.tenant_id == acme.id and "the-acme-secret" not in row.client_secret_sealed
        assert row.allowed_domains == "acme.test acme.example"
    for page in (
        "/manage/sign_in/",
        f"/manage/sign_in/edit/?id={row.id}",
        f"/manage/sign_in/details/?id={row.id}",
    ):
        body = acme_admin.get(page).get_data(as_text=True)
        assert "Acme SSO" in body and "the-acme-secret" not in body

    # Saving the edit form with the secret left empty keeps it.
    token = csrf_token(acme_admin, f"/manage/sign_in/edit/?id={row.id}")
    kept = form(oidc_issuer.url, name="Acme Login", new_client_secret="")
    acme_admin.post(f"/manage/sign_in/edit/?id={row.id}", data={**kept, "csrf_token": token})
    with app.app_context(), all_tenants():
        row = db.session.scalar(select(OidcProvider))
        assert (row.name, oidc.unseal_secret(row)) == ("Acme Login", "the-acme-secret")

    # Another tenant's admins neither see it nor sign in through it.
    assert "Acme" not in bravo_admin.get("/manage/sign_in/").get_data(as_text=True)
    edit = bravo_admin.get(f"/manage/sign_in/edit/?id={row.id}", follow_redirects=True)
    assert "acme-app" not in edit.get_data(as_text=True)
    assert "Acme" not in bravo_admin.get("/login").get_data(as_text=True)
    assert bravo_admin.get(f"/login/via/{row.key}").status_code == 404
    assert bravo_admin.get(f"/login/via/{row.key}/callback").status_code == 404


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"issuer": "ftp://login.example.com"}, "Enter the issuer&#39;s https:// URL"),
        ({"allowed_domains": "acme.test, domain!"}, "&#39;domain!&#39; is not a domain name."),
        ({"new_client_secret": ""}, "Enter the client secret the issuer gave you."),
    ],
)
def test_bad_provider_settings_are_refused_under_their_field(admins, change, message):
    _acme, acme_admin, _bravo_admin = admins
    token = csrf_token(acme_admin, "/manage/sign_in/new/")
    page = acme_admin.post(
        "/manage/sign_in/new/",
        data={**form("https://login.example.com", **change), "csrf_token": token},
    )
    assert page.status_code == 200
    assert message in page.get_data(as_text=True)


def test_an_http_issuer_is_refused_unless_the_deployment_allows_it(admins):
    _acme, acme_admin, _bravo_admin = admins
    token = csrf_token(acme_admin, "/manage/sign_in/new/")
    page = acme_admin.post(
        "/manage/sign_in/new/", data={**form("http://login.example.com"), "csrf_token": token}
    )
    assert "Enter the issuer&#39;s https:// URL" in page.get_data(as_text=True)


def test_a_sealed_secret_copied_to_another_tenant_does_not_open_there(
    app, acme, make_tenant, oidc_issuer, add_provider
):
    bravo = make_tenant("bravo")
    add_provider(acme, oidc_issuer)
    bravo_key = add_provider(bravo, oidc_issuer, client_id="bravo-app", secret="bravo-secret")
    with app.app_context(), all_tenants():
        rows = {row.tenant_id: row for row in db.session.scalars(select(OidcProvider))}
        rows[bravo.id].client_secret_sealed = rows[acme.id].client_secret_sealed
        db.session.commit()
    client = client_for(app, "bravo.localhost")
    page = client.get(f"/login/via/{bravo_key}", follow_redirects=True).get_data(as_text=True)
    assert "needs its client secret entered again by an administrator" in page
