"""Forgot password, on every login page: the same answer whether or not the email has an
account, throttled, and a link that works once, on its own site, for a while."""

from __future__ import annotations

import pytest

from tenantry.testing import client_for, csrf_token, do_login

NEW = "a-brand-new-password"


@pytest.fixture
def acme(make_tenant):
    return make_tenant("acme", plugins=["notes"])


def ask(client, email):
    return client.post(
        "/password/forgot",
        data={"email": email, "csrf_token": csrf_token(client, "/password/forgot")},
    )


def choose(client, link, password=NEW, confirm=None):
    path = link.split("localhost", 1)[1]
    return client.post(
        path,
        data={
            "password": password,
            "confirm": confirm or password,
            "csrf_token": csrf_token(client, path),
        },
    )


def test_every_login_page_offers_it(app, acme):
    for host in ("acme.localhost", "localhost"):
        assert 'href="/password/forgot"' in client_for(app, host).get("/login").get_data(
            as_text=True
        )


def test_the_answer_is_the_same_whether_or_not_the_email_has_an_account(
    app, acme, make_user, outbox
):
    make_user(acme, "ann@acme.test")
    known = ask(client_for(app, "acme.localhost"), "ann@acme.test")
    unknown = ask(client_for(app, "acme.localhost"), "nobody@acme.test")
    assert known.status_code == unknown.status_code == 200
    clean = lambda r, email: r.get_data(as_text=True).replace(email, "EMAIL")  # noqa: E731
    assert clean(known, "ann@acme.test") == clean(unknown, "nobody@acme.test")
    assert outbox.wait_for("ann@acme.test")
    assert outbox.to("nobody@acme.test") == []


def test_the_link_sets_a_new_password_signs_in_and_works_once(app, acme, make_user, outbox):
    old = make_user(acme, "ann@acme.test")
    elsewhere = client_for(app, "acme.localhost")
    do_login(elsewhere, old)
    ask(client_for(app, "acme.localhost"), "ann@acme.test")
    received = outbox.wait_for("ann@acme.test")
    assert received.subject == "Reset your password for Acme"
    link = received.link("/password/reset/")
    assert link.startswith("http://acme.localhost/")
    browser = client_for(app, "acme.localhost")
    response = choose(browser, link)
    assert response.status_code == 302
    assert browser.get("/notes/").status_code == 200  # landed signed in
    assert elsewhere.get("/notes/").status_code == 302  # every other session ended
    assert do_login(client_for(app, "acme.localhost"), old).status_code == 200
    assert do_login(client_for(app, "acme.localhost"), ("ann@acme.test", NEW)).status_code == 302
    again = client_for(app, "acme.localhost").get(link.split("localhost", 1)[1])
    assert again.status_code == 404
    assert "used already" in again.get_data(as_text=True)


def test_the_link_is_bound_to_its_tenant(app, acme, make_tenant, make_user, outbox):
    make_tenant("bravo")
    make_user(acme, "ann@acme.test")
    make_user(make_tenant("carol"), "ann@acme.test")
    ask(client_for(app, "acme.localhost"), "ann@acme.test")
    path = outbox.wait_for("ann@acme.test").link("/password/reset/").split("localhost", 1)[1]
    for host in ("bravo.localhost", "carol.localhost", "localhost"):
        assert client_for(app, host).get(path).status_code == 404


def test_an_expired_link_says_so_with_410(app, acme, make_user, outbox, monkeypatch):
    import itsdangerous.timed

    make_user(acme, "ann@acme.test")
    ask(client_for(app, "acme.localhost"), "ann@acme.test")
    path = outbox.wait_for("ann@acme.test").link("/password/reset/").split("localhost", 1)[1]
    later = itsdangerous.timed.TimestampSigner.get_timestamp(None) + 61 * 60  # type: ignore[arg-type]
    monkeypatch.setattr(itsdangerous.timed.TimestampSigner, "get_timestamp", lambda self: later)
    response = client_for(app, "acme.localhost").get(path)
    assert response.status_code == 410
    assert "expired" in response.get_data(as_text=True)


def test_mismatched_or_short_passwords_are_refused_and_the_link_still_works(
    app, acme, make_user, outbox
):
    make_user(acme, "ann@acme.test")
    ask(client_for(app, "acme.localhost"), "ann@acme.test")
    link = outbox.wait_for("ann@acme.test").link("/password/reset/")
    client = client_for(app, "acme.localhost")
    assert "The two passwords differ." in choose(client, link, NEW, "other-password!").get_data(
        as_text=True
    )
    assert "at least 10 characters" in choose(client, link, "short").get_data(as_text=True)
    assert choose(client, link).status_code == 302


def test_requests_are_throttled_per_account(app, acme, make_user, outbox):
    make_user(acme, "ann@acme.test")
    client = client_for(app, "acme.localhost")
    statuses = [ask(client, "ann@acme.test").status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]


def test_operators_reset_their_password_on_the_root_host(app, make_operator, outbox):
    email, _ = make_operator("op@platform.test")
    ask(client_for(app, "localhost"), email)
    link = outbox.wait_for(email).link("/password/reset/")
    assert link.startswith("http://localhost/")
    browser = client_for(app, "localhost")
    assert choose(browser, link).status_code == 302
    assert browser.get("/admin/").status_code == 200


def test_an_operators_reset_sends_a_link_and_never_shows_a_password(
    app, acme, make_user, make_operator, outbox
):
    from sqlalchemy import select

    from tenantry import all_tenants, db
    from tenantry.auth.models import User

    old = make_user(acme, "ann@acme.test")
    victim = client_for(app, "acme.localhost")
    do_login(victim, old)
    operator = client_for(app, "localhost")
    do_login(operator, make_operator())
    with app.app_context(), all_tenants():
        ann = db.session.scalar(select(User).where(User.email == "ann@acme.test"))
    response = operator.post(
        "/admin/users/action/",
        data={
            "action": "reset_password",
            "rowid": str(ann.id),
            "csrf_token": csrf_token(operator, "/admin/users/"),
        },
        follow_redirects=True,
    )
    body = response.get_data(as_text=True)
    assert "1 account(s) reset; 1 reset link(s) sent." in body
    assert "New password" not in body
    assert victim.get("/notes/").status_code == 302  # sessions ended
    assert do_login(client_for(app, "acme.localhost"), old).status_code == 200  # old password too
    received = outbox.wait_for("ann@acme.test")
    assert "An operator of the platform reset the password" in received.text
    assert (
        choose(client_for(app, "acme.localhost"), received.link("/password/reset/")).status_code
        == 302
    )
