"""Which language a page speaks: the user's choice, then the tenant's default, then the
browser's Accept-Language, then English; each tenant's default stays its own; dates and
numbers are written the way the page's language writes them."""

from __future__ import annotations

import re

import pytest

from tenantry.auth.models import User
from tenantry.db import db
from tenantry.errors import ValidationFailed
from tenantry.tenancy import lifecycle
from tenantry.tenancy.context import tenant_context
from tenantry.testing import client_for, csrf_token, do_login

GERMAN = {"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"}
ENGLISH = {"Accept-Language": "en-US,en;q=0.8"}


def page(client, path="/login", headers=None):
    return client.get(path, headers=headers or {}).get_data(as_text=True)


def set_tenant_default(app, slug, code):
    with app.app_context():
        lifecycle.set_locale(db.session, lifecycle.find(db.session, slug), code)
        db.session.commit()


def choose(client, code):
    return client.post(
        "/account/language",
        data={"locale": code, "csrf_token": csrf_token(client, "/account/")},
        follow_redirects=True,
    ).get_data(as_text=True)


def test_accept_language_de_gives_german_pages_and_none_gives_english(app, make_tenant):
    make_tenant("acme")
    client = client_for(app, "acme.localhost")
    german = page(client, headers=GERMAN)
    assert '<html lang="de">' in german
    assert "<h1>Anmelden</h1>" in german and "Passwort vergessen?" in german
    assert 'for="email">E-Mail</label>' in german  # a form label, translated lazily
    english = page(client)
    assert '<html lang="en">' in english and "<h1>Log in</h1>" in english


def test_an_unspoken_language_falls_back_to_english(app, make_tenant):
    make_tenant("acme")
    body = page(client_for(app, "acme.localhost"), headers={"Accept-Language": "fr, ja"})
    assert "<h1>Log in</h1>" in body


def test_the_tenants_default_beats_the_browser_and_the_users_choice_beats_both(
    app, make_tenant, make_user
):
    acme = make_tenant("acme")
    set_tenant_default(app, "acme", "de")
    client = client_for(app, "acme.localhost")
    assert "<h1>Anmelden</h1>" in page(client, headers=ENGLISH)  # tenant default > browser

    do_login(client, make_user(acme, "ann@acme.test"))
    assert "Ihr Konto" in page(client, "/account/", ENGLISH)
    saved = choose(client, "en")
    assert "Your language is saved." in saved  # said in the language just chosen
    assert "<h1>Your account</h1>" in page(client, "/account/", GERMAN)  # user > all

    choose(client, "")  # back to the site's default
    assert "<h1>Ihr Konto</h1>" in page(client, "/account/", ENGLISH)
    with app.app_context(), tenant_context(acme):
        assert db.session.query(User).one().locale is None


def test_a_language_the_site_does_not_speak_is_refused_and_nothing_changes(
    app, make_tenant, make_user
):
    acme = make_tenant("acme")
    client = client_for(app, "acme.localhost")
    do_login(client, make_user(acme, "ann@acme.test"))
    choose(client, "de")
    refused = choose(client, "xx")
    assert "Keine gültige Auswahl." in refused  # WTForms' own message, in German
    assert "<h1>Ihr Konto</h1>" in refused  # still German: the choice was kept
    with app.app_context(), pytest.raises(ValidationFailed) as error:
        lifecycle.set_locale(db.session, lifecycle.find(db.session, "acme"), "klingon")
    assert "not a language of this site" in error.value.errors["locale"]


def test_one_tenants_default_does_not_leak_into_another(app, make_tenant, make_user):
    make_tenant("acme")
    globex = make_tenant("globex")
    set_tenant_default(app, "acme", "de")
    acme_client = client_for(app, "acme.localhost")
    globex_client = client_for(app, "globex.localhost")
    for _ in range(2):  # the same process, the same warmed caches, alternating hosts
        assert "<h1>Anmelden</h1>" in page(acme_client, headers=ENGLISH)
        assert "<h1>Log in</h1>" in page(globex_client, headers=ENGLISH)
    # A user's choice is theirs, in their tenant only.
    do_login(globex_client, make_user(globex, "gus@globex.test"))
    choose(globex_client, "de")
    assert "<h1>Log in</h1>" in page(client_for(app, "globex.localhost"), headers=ENGLISH)


def test_a_tenant_admin_sets_the_default_language_next_to_the_time_zone(
    app, make_tenant, make_user
):
    acme = make_tenant("acme")
    admin = client_for(app, "acme.localhost")
    do_login(admin, make_user(acme, "boss@acme.test", role="admin"))
    form = "/manage/site/"
    refused = admin.post(
        form,
        data={"timezone": "Europe/Berlin", "locale": "xx", "csrf_token": csrf_token(admin, form)},
    ).get_data(as_text=True)
    assert "not a language of this site" in refused
    assert '<option value="Europe/Berlin" selected>' in refused  # what was posted stays
    saved = admin.post(
        form,
        data={"timezone": "Europe/Berlin", "locale": "de", "csrf_token": csrf_token(admin, form)},
        follow_redirects=True,
    ).get_data(as_text=True)
    # Said in the language the admin saved in; the next page already speaks German.
    assert "Site settings saved." in saved and '<html lang="de">' in saved
    visitor = client_for(app, "acme.localhost")
    assert "<h1>Anmelden</h1>" in page(visitor, headers=ENGLISH)


def test_dates_and_numbers_are_written_per_language_in_the_tenants_zone(
    app, make_tenant, make_user
):
    acme = make_tenant("acme", plugins=["notes"])
    with app.app_context():
        lifecycle.set_timezone(db.session, lifecycle.find(db.session, "acme"), "Asia/Tokyo")
        db.session.commit()
    client = client_for(app, "acme.localhost")
    do_login(client, make_user(acme, "ann@acme.test"))
    client.post(
        "/notes/new",
        data={
            "title": "Eins",
            "body": "",
            "tags": "",
            "csrf_token": csrf_token(client, "/notes/new"),
        },
    )
    german = page(client, "/notes/", GERMAN)
    english = page(client, "/notes/", ENGLISH)
    shown_de = re.search(r'<time datetime="([^"]+)"[^>]*>([^<]+)</time>', german)
    shown_en = re.search(r'<time datetime="([^"]+)"[^>]*>([^<]+)</time>', english)
    assert re.fullmatch(r"\d\d\.\d\d\.\d{4}, \d\d:\d\d", shown_de.group(2)), shown_de.group(2)
    assert re.fullmatch(r"[A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d\d\W[AP]M", shown_en.group(2))
    # Tokyo is UTC+9: the hour shown is nine hours on from the UTC instant.
    utc_hour = int(shown_de.group(1)[11:13])
    assert int(shown_de.group(2)[12:14]) == (utc_hour + 9) % 24
    assert "1 Notiz" in german and "1 note" in english  # plural forms per language


def test_mail_speaks_the_recipients_language(app, make_tenant, make_user, outbox):
    acme = make_tenant("acme")
    email, _password = make_user(acme, "ann@acme.test")
    client = client_for(app, "acme.localhost")
    do_login(client, (email, _password))
    choose(client, "de")
    stranger = client_for(app, "acme.localhost")  # asks in English, for Ann
    stranger.post(
        "/password/forgot",
        data={"email": email, "csrf_token": csrf_token(stranger, "/password/forgot")},
        headers=ENGLISH,
    )
    received = outbox.wait_for(email)
    assert "Setzen Sie Ihr Passwort" in received.subject
    assert "hoffentlich Sie" in received.text


def test_error_pages_speak_the_requests_language_and_json_keeps_english_names(app, make_tenant):
    make_tenant("acme")
    client = client_for(app, "acme.localhost")
    missing = page(client, "/no/such/page", GERMAN)
    assert "404 · Nicht gefunden" in missing and "Unter dieser Adresse gibt es nichts." in missing
    answer = client.get("/api/no/such", headers={**GERMAN, "Accept": "application/json"})
    assert answer.status_code == 404 and answer.get_json()["error"] == "Not Found"
    nowhere = page(client_for(app, "nosuch.localhost"), "/", GERMAN)
    assert "Unter dieser Adresse gibt es keine Website." in nowhere
    assert "Zur Startseite der Plattform" in nowhere


def test_an_invitation_mail_speaks_the_tenants_default_language(
    app, make_tenant, make_user, outbox
):
    acme = make_tenant("acme")
    set_tenant_default(app, "acme", "de")
    admin = client_for(app, "acme.localhost")
    do_login(admin, make_user(acme, "boss@acme.test", role="admin"))
    form = "/manage/invitations/"
    admin.post(
        form,
        data={"email": "new@acme.test", "role": "member", "csrf_token": csrf_token(admin, form)},
        headers=ENGLISH,
    )
    received = outbox.wait_for("new@acme.test")
    assert received.subject == "Sie sind zu Acme eingeladen"
    assert "boss@acme.test hat Sie als member zu Acme eingeladen." in received.text


def test_choosing_the_language_costs_no_statement_of_its_own(
    app, make_tenant, make_user, statements
):
    """The tenant's default rides with the tenant state the request reads anyway; the
    user's choice with the loaded user."""
    acme = make_tenant("acme", plugins=["notes"])
    client = client_for(app, "acme.localhost")
    do_login(client, make_user(acme, "ann@acme.test"))
    page(client, "/notes/")  # warm the host and plugin caches
    counts = []
    # (what decides, the browser's header, the language the page should speak)
    for step, headers, german in (
        ("browser", GERMAN, True),
        ("tenant-default", ENGLISH, True),
        ("user-choice", GERMAN, False),
    ):
        if step == "tenant-default":
            set_tenant_default(app, "acme", "de")
        if step == "user-choice":
            choose(client, "en")
        page(client, "/notes/")  # the first page after a change may refresh caches
        statements.clear()
        body = page(client, "/notes/", headers)
        counts.append(len(statements))
        assert ("<h1>Notizen</h1>" in body) == german, step
    assert counts[0] == counts[1] == counts[2], counts


def test_the_tenants_admin_speaks_german_flask_admins_own_words_included(
    app, make_tenant, make_user
):
    acme = make_tenant("acme", name="Acme")
    admin = client_for(app, "acme.localhost")
    do_login(admin, make_user(acme, "boss@acme.test", role="admin"))
    dashboard = page(admin, "/manage/", GERMAN)
    assert "Acme — Verwaltung" in dashboard and ">Benutzer<" in dashboard
    form = "/manage/users/new/"
    created = admin.post(
        form,
        data={
            "email": "new@acme.test",
            "role": "member",
            "active": "y",
            "password": "long-enough-password",
            "csrf_token": csrf_token(admin, form),
        },
        headers=GERMAN,
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "Benutzer new@acme.test angelegt." in created
    assert "Suche" in page(admin, "/manage/users/", GERMAN)  # Flask-Admin's own catalog
