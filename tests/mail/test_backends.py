"""Mail leaves through a real SMTP server (aiosmtpd, started here on a free port): plain,
STARTTLS, implicit TLS, with a login; failures say where and why. In development it
lands in a folder and the log."""

from __future__ import annotations

import logging
import ssl
import subprocess
from email.message import EmailMessage
from pathlib import Path

import pytest

from tenantry.mail.backends import FolderBackend, MailError, SmtpBackend, UnconfiguredBackend
from tenantry.settings import MailServer
from tenantry.testing import MailCatcher, free_port


def message(to: str = "ann@acme.test") -> EmailMessage:
    email = EmailMessage()
    email["From"] = "Acme <noreply@localhost>"
    email["To"] = to
    email["Subject"] = "Hello"
    email.set_content("plain text")
    email.add_alternative("<p>html</p>", subtype="html")
    return email


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, made with the openssl command."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )  # fmt: skip
    return cert, key


def server_context(certificate) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


def client_context(certificate) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(certificate[0]))


def test_a_message_arrives_with_both_parts():
    with MailCatcher() as server:
        SmtpBackend(MailServer("127.0.0.1", server.port, "none"), timeout=5).deliver(message())
        received = server.wait_for("ann@acme.test")
    assert received.subject == "Hello"
    assert received.text.strip() == "plain text"
    assert "<p>html</p>" in received.html


def test_starttls_with_a_login(certificate):
    users = {"mailer": "s3cret-pass"}
    with MailCatcher(tls_context=server_context(certificate), users=users) as server:
        backend = SmtpBackend(
            MailServer("127.0.0.1", server.port, "starttls", "mailer", "s3cret-pass"),
            timeout=5,
            context=client_context(certificate),
        )
        backend.deliver(message())
        assert server.wait_for("ann@acme.test").subject == "Hello"


# aiosmtpd warns "AUTH without TLS" as it cannot see implicit TLS; it is there.
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_implicit_tls_with_a_login(certificate):
    users = {"mailer": "s3cret-pass"}
    with MailCatcher(ssl_context=server_context(certificate), users=users) as server:
        backend = SmtpBackend(
            MailServer("127.0.0.1", server.port, "ssl", "mailer", "s3cret-pass"),
            timeout=5,
            context=client_context(certificate),
        )
        backend.deliver(message())
        assert server.wait_for("ann@acme.test").subject == "Hello"


def test_a_refused_login_names_the_server_and_its_answer(certificate):
    with MailCatcher(tls_context=server_context(certificate), users={"mailer": "right"}) as server:
        backend = SmtpBackend(
            MailServer("127.0.0.1", server.port, "starttls", "mailer", "wrong"),
            timeout=5,
            context=client_context(certificate),
        )
        with pytest.raises(MailError, match=rf"127.0.0.1:{server.port} answered 535"):
            backend.deliver(message())
        assert server.messages == []


def test_an_untrusted_certificate_is_refused(certificate):
    with MailCatcher(tls_context=server_context(certificate)) as server:
        backend = SmtpBackend(MailServer("127.0.0.1", server.port, "starttls"), timeout=5)
        with pytest.raises(MailError, match="CERTIFICATE_VERIFY_FAILED"):
            backend.deliver(message())


def test_a_server_without_starttls_is_refused_when_starttls_is_asked_for():
    with MailCatcher() as server:
        backend = SmtpBackend(MailServer("127.0.0.1", server.port, "starttls"), timeout=5)
        with pytest.raises(MailError, match="STARTTLS"):
            backend.deliver(message())


def test_an_unreachable_server_is_a_clear_error():
    backend = SmtpBackend(MailServer("127.0.0.1", free_port(), "none"), timeout=2)
    with pytest.raises(MailError, match=r"is unreachable: .*refused"):
        backend.deliver(message())


def test_development_mail_lands_in_the_folder_and_the_log(tmp_path, caplog):
    with caplog.at_level(logging.INFO, logger="tenantry.mail"):
        FolderBackend(tmp_path / "mail").deliver(message())
    saved = list((tmp_path / "mail").glob("*.eml"))
    assert len(saved) == 1 and "ann@acme.test" in saved[0].name
    assert b"Subject: Hello" in saved[0].read_bytes()
    assert "plain text" in caplog.text and str(saved[0]) in caplog.text


def test_production_without_a_mail_server_says_what_to_set():
    with pytest.raises(MailError, match="set mail_url"):
        UnconfiguredBackend().deliver(message())
