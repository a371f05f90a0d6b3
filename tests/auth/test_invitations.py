"""Onboarding by invitation: operators invite a new tenant's first admin (admin or CLI),
tenant admins invite users, operators invite operators. A link works once, on its own
site, until it expires; resending replaces it, revoking ends it."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tenantry import all_tenants, db
from tenantry.auth.models import User
from tenantry.testing import client_for, csrf_token, do_login

PASSWORD = "chosen-by-the-invitee"


def path_of(link: str) -> str:
    return link.split("localhost", 1)[1]


def accept(app, host, link, name="New Person", password=PASSWORD):
    browser = client_for(app, host)
    path = path_of(link)
    response = browser.post(
        path,
        data={
            "name": name,
            "password": password,
            "confirm": password,
            "csrf_token": csrf_token(browser, path),
        },
    )
    return browser, response


@pytest.fixture
def acme(make_tenant):
    return make_tenant("acme", plugins=["notes"])


@pytest.fixture
def admin(app, acme, make_user):
    client = client_for(app, "acme.localhost")
    do_login(client, make_user(acme, "boss@acme.test", role="admin"))
    return client


def invite(client, email, role="member"):
    page = "/manage/invitations/"
    return client.post(
        page,
        data={"email": email, "role": role, "csrf_token": csrf_token(client, page)},
        follow_redirects=True,
    )


def test_an_operator_creates_a_tenant_with_its_first_admin_who_lands_signed_in(
    app, make_operator, outbox
):
    operator = client_for(app, "localhost")
    do_login(operator, make_operator())
    page = "/admin/tenants/new/"
    response = operator.post(
        page,
        data={
            "slug": "globex",
            "name": "Globex",
            "status": "active",
            "first_admin": "Hank@Globex.test",
            "csrf_token": csrf_token(operator, page),
        },
        follow_redirects=True,
    )
    body = response.get_data(as_text=True)
    assert "Invited Hank@Globex.test to be its first admin." in body
    assert 'href="http://globex.localhost/"' in body  # the list links to the site
    received = outbox.wait_for("hank@globex.test")
    assert received.subject == "You are invited to Globex"
    link = received.link("/invitation/")
    assert link.startswith("http://globex.localhost/invitation/")
    browser, response = accept(app, "globex.localhost", link)
    assert response.status_code == 302
    assert browser.get("/manage/").status_code == 200  # an admin, signed in
    reused = client_for(app, "globex.localhost").get(path_of(link))
    assert reused.status_code == 404 and "no longer valid" in reused.get_data(as_text=True)


def test_the_cli_creates_a_tenant_and_invites_its_admin(app, outbox):
    with app.app_context():  # as the tenantry script pushes one around every command
        result = app.test_cli_runner().invoke(
            args=[
                "tenants",
                "create",
                "initech",
                "--name",
                "Initech",
                "--admin",
                "peter@initech.test",
            ]
        )
    assert result.exit_code == 0, result.output
    assert "invited peter@initech.test to be its admin" in result.output
    link = outbox.wait_for("peter@initech.test").link("/invitation/")
    browser, _response = accept(app, "initech.localhost", link)
    assert browser.get("/manage/").status_code == 200


def test_a_tenant_admin_invites_a_member_who_sets_a_password(app, acme, admin, outbox):
    body = invite(admin, "new@acme.test").get_data(as_text=True)
    assert "Invitation sent to new@acme.test." in body
    assert re.search(r"<td>new@acme.test</td>\s*<td>member</td>", body)  # listed as pending
    link = outbox.wait_for("new@acme.test").link("/invitation/")
    browser, response = accept(app, "acme.localhost", link, name="Nina")
    assert response.status_code == 302 and browser.get("/notes/").status_code == 200
    assert browser.get("/manage/").status_code == 403  # a member
    assert "new@acme.test" not in admin.get("/manage/invitations/").get_data(as_text=True)
    with app.app_context(), all_tenants():
        user = db.session.scalar(select(User).where(User.email == "new@acme.test"))
        assert (user.name, user.role, user.tenant_id) == ("Nina", "member", acme.id)


def test_resending_replaces_the_link_and_revoking_ends_it(app, acme, admin, outbox):
    invite(admin, "new@acme.test")
    first = outbox.wait_for("new@acme.test").link("/invitation/")
    page = admin.get("/manage/invitations/").get_data(as_text=True)
    resend = re.search(r'action="(/manage/invitations/\d+/resend)"', page).group(1)
    admin.post(resend, data={"csrf_token": csrf_token(admin, "/manage/invitations/")})
    second = outbox.wait_for("new@acme.test", count=2).link("/invitation/")
    assert first != second
    assert client_for(app, "acme.localhost").get(path_of(first)).status_code == 404
    assert client_for(app, "acme.localhost").get(path_of(second)).status_code == 200
    revoke = resend.replace("resend", "revoke")
    admin.post(revoke, data={"csrf_token": csrf_token(admin, "/manage/invitations/")})
    assert client_for(app, "acme.localhost").get(path_of(second)).status_code == 404


def test_an_invitation_works_on_its_own_site_only(app, acme, admin, make_tenant, outbox):
    make_tenant("bravo")
    invite(admin, "new@acme.test")
    path = path_of(outbox.wait_for("new@acme.test").link("/invitation/"))
    assert client_for(app, "bravo.localhost").get(path).status_code == 404
    assert client_for(app, "localhost").get(path).status_code == 404


def test_an_expired_invitation_says_so_and_can_be_resent(app, acme, admin, outbox):
    from sqlalchemy import update

    from tenantry.auth.models import Invitation
    from tenantry.tenancy.models import utcnow

    invite(admin, "new@acme.test")
    path = path_of(outbox.wait_for("new@acme.test").link("/invitation/"))
    with app.app_context(), all_tenants():
        db.session.execute(update(Invitation).values(expires_at=utcnow()))
        db.session.commit()
    response = client_for(app, "acme.localhost").get(path)
    assert response.status_code == 410 and "expired" in response.get_data(as_text=True)
    assert "expired" in admin.get("/manage/invitations/").get_data(as_text=True)


def test_inviting_someone_who_has_an_account_or_an_invitation_says_so(app, acme, admin, outbox):
    assert "boss@acme.test already has an account in" in invite(admin, "boss@acme.test").get_data(
        as_text=True
    )
    invite(admin, "new@acme.test")
    assert "is invited already" in invite(admin, "new@acme.test").get_data(as_text=True)


def test_a_tenant_admin_never_sees_or_touches_another_tenants_invitations(
    app, acme, admin, make_tenant, make_user, outbox
):
    bravo = make_tenant("bravo")
    bravo_admin = client_for(app, "bravo.localhost")
    do_login(bravo_admin, make_user(bravo, "bob@bravo.test", role="admin"))
    invite(bravo_admin, "secret-hire@bravo.test")
    page = bravo_admin.get("/manage/invitations/").get_data(as_text=True)
    foreign = re.search(r'action="/manage/invitations/(\d+)/revoke"', page).group(1)
    assert "secret-hire" not in admin.get("/manage/invitations/").get_data(as_text=True)
    response = admin.post(
        f"/manage/invitations/{foreign}/revoke",
        data={"csrf_token": csrf_token(admin, "/manage/invitations/")},
        follow_redirects=True,
    )
    assert "There is no such invitation" in response.get_data(as_text=True)
    assert "secret-hire" in bravo_admin.get("/manage/invitations/").get_data(as_text=True)


def test_operators_invite_operators_on_the_root_host(app, make_operator, outbox):
    operator = client_for(app, "localhost")
    do_login(operator, make_operator())
    page = "/admin/invitations/"
    operator.post(
        page, data={"email": "new-op@platform.test", "csrf_token": csrf_token(operator, page)}
    )
    link = outbox.wait_for("new-op@platform.test").link("/invitation/")
    assert link.startswith("http://localhost/invitation/")
    browser, _response = accept(app, "localhost", link)
    assert browser.get("/admin/").status_code == 200


def test_an_unsent_invitation_is_kept_and_the_admin_is_told(app, acme, admin):
    from tenantry import mail
    from tenantry.mail.backends import UnconfiguredBackend

    before = mail.use_backend(app, UnconfiguredBackend())
    try:
        body = invite(admin, "new@acme.test").get_data(as_text=True)
    finally:
        mail.use_backend(app, before)
    assert "Saved, but: The email to new@acme.test could not be sent" in body
    assert "Use Resend once it is fixed" in body
    assert "<td>new@acme.test</td>" in body
