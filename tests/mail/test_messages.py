"""Messages are rendered per tenant (its name, its host in every link) and sent only when
the change that queued them commits."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tenantry import db, mail
from tenantry.settings import load_settings, parse_mail_url
from tenantry.testing import job_queue, require_redis, run_worker


def test_a_message_speaks_for_its_tenant_with_its_host_in_every_link(app, make_tenant, outbox):
    acme = make_tenant("acme", name="Acme Widgets")
    with app.app_context():
        message = mail.compose(
            "invitation",
            to="ann@acme.test",
            tenant=acme,
            link="http://acme.localhost/invitation/x",
            role="admin",
            invited_by="bob@acme.test",
            expires="tomorrow",
        )
        mail.send(message)
    received = outbox.wait_for("ann@acme.test")
    assert received.subject == "You are invited to Acme Widgets"
    assert received.sender == "Acme Widgets <noreply@localhost>"
    assert received.links() and all(
        link.startswith("http://acme.localhost/") for link in received.links()
    )
    assert "Acme Widgets" in received.html and "http://acme.localhost/" in received.html


def test_queued_mail_goes_out_on_commit_and_never_after_a_rollback(app, make_tenant, outbox):
    acme = make_tenant("acme")

    def queued(to: str) -> None:
        message = mail.compose(
            "password_reset",
            to=to,
            tenant=acme,
            link="http://acme.localhost/x",
            minutes=60,
            reason="r",
            by_operator=False,
        )
        mail.queue(db.session, message, acme)

    with app.app_context():
        queued("rolled@acme.test")
        db.session.rollback()
        queued("committed@acme.test")
        assert outbox.messages == []  # nothing before the commit
        db.session.commit()
    assert outbox.wait_for("committed@acme.test")
    assert outbox.to("rolled@acme.test") == []


def test_a_failed_delivery_is_reported_to_the_caller_after_the_commit(app, make_tenant):
    from tenantry.mail.backends import UnconfiguredBackend

    acme = make_tenant("acme")
    before = mail.use_backend(app, UnconfiguredBackend())
    try:
        with app.app_context():
            message = mail.compose(
                "password_reset",
                to="ann@acme.test",
                tenant=acme,
                link="http://acme.localhost/x",
                minutes=60,
                reason="r",
                by_operator=False,
            )
            mail.queue(db.session, message, acme)
            db.session.commit()
            problems = mail.undelivered(db.session)
            assert mail.undelivered(db.session) == []  # said once
    finally:
        mail.use_backend(app, before)
    assert problems == [
        "The email to ann@acme.test could not be sent: no mail server is configured; "
        "set mail_url (TENANTRY_MAIL_URL)"
    ]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mx.example.com", ("mx.example.com", 25, "none", None, None)),
        ("smtp+starttls://a%40b.c:p%2Fw@mx:2525", ("mx", 2525, "starttls", "a@b.c", "p/w")),
        ("smtps://u:p@mx", ("mx", 465, "ssl", "u", "p")),
    ],
)
def test_mail_url_forms(url, expected):
    server = parse_mail_url(url)
    assert (server.host, server.port, server.security, server.user, server.password) == expected


@pytest.mark.parametrize("url", ["http://mx", "smtp://", "smtp://mx:notaport", "smtp://mx/path"])
def test_a_bad_mail_url_is_refused_at_start_with_the_expected_form(url):
    from tenantry.settings import SettingsError

    with pytest.raises(SettingsError, match="expected smtp://, smtp\\+starttls:// or smtps://"):
        load_settings(env="test", secret_key="k", mail_url=url)


def test_mail_host_settings_make_a_server_and_cannot_be_mixed_with_mail_url():
    from tenantry.settings import SettingsError

    settings = load_settings(env="test", secret_key="k", mail_host="mx", mail_security="ssl")
    assert (settings.mail_server.port, settings.mail_server.security) == (465, "ssl")
    with pytest.raises(SettingsError, match="set mail_url or mail_host"):
        load_settings(env="test", secret_key="k", mail_host="mx", mail_url="smtp://mx")


def test_with_workers_a_job_sends_the_mail_after_the_commit(app, make_tenant, outbox):
    """A request that mails (an invitation, a password reset) never waits for the SMTP
    server when workers are configured: a job of the tenant sends it."""
    require_redis()
    acme = make_tenant("acme")
    mailer = app.extensions[mail.EXTENSION]
    app.extensions[mail.EXTENSION] = replace(mailer, through_jobs=True)
    try:
        with job_queue(app) as queue:
            with app.app_context():
                message = mail.compose(
                    "password_reset",
                    to="ann@acme.test",
                    tenant=acme,
                    link="http://acme.localhost/x",
                    minutes=60,
                    reason="r",
                    by_operator=False,
                )
                mail.queue(db.session, message, acme)
                db.session.commit()
            assert outbox.to("ann@acme.test") == []  # queued, not sent by this process
            ran = run_worker(app, queue, mail_url=f"smtp://127.0.0.1:{outbox.port}")
            assert ran.returncode == 0, ran.stdout + ran.stderr
    finally:
        app.extensions[mail.EXTENSION] = mailer
    assert outbox.wait_for("ann@acme.test").subject
