"""Where messages go: an SMTP server (smtplib, with STARTTLS or SSL and login), a folder
for development, or nowhere, with the reason, when production has no server configured."""

from __future__ import annotations

import logging
import smtplib
import ssl
import threading
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path
from typing import Protocol

from tenantry.settings import MailServer

log = logging.getLogger("tenantry.mail")


class MailError(Exception):
    """A message could not be handed over; the message says where and why."""


class Backend(Protocol):
    def deliver(self, email: EmailMessage) -> None: ...


class SmtpBackend:
    """One SMTP connection per message: simple, and nothing to keep alive between requests.

    Certificates are verified against the system's trust store (``SSL_CERT_FILE``
    points OpenSSL at another bundle); ``context`` replaces that, for tests.
    """

    def __init__(
        self, server: MailServer, timeout: float, context: ssl.SSLContext | None = None
    ) -> None:
        self.server = server
        self.timeout = timeout
        self.context = context

    def deliver(self, email: EmailMessage) -> None:
        server = self.server
        context = self.context or ssl.create_default_context()
        try:
            client: smtplib.SMTP
            if server.security == "ssl":
                client = smtplib.SMTP_SSL(
                    server.host, server.port, timeout=self.timeout, context=context
                )
            else:
                client = smtplib.SMTP(server.host, server.port, timeout=self.timeout)
            with client:
                if server.security == "starttls":
                    client.starttls(context=context)
                if server.user:
                    client.login(server.user, server.password or "")
                client.send_message(email)
        except smtplib.SMTPNotSupportedError as error:
            raise MailError(f"{self._where()} refused: {error}") from error
        except smtplib.SMTPResponseException as error:
            reply = error.smtp_error.decode(errors="replace") if error.smtp_error else ""
            raise MailError(f"{self._where()} answered {error.smtp_code} {reply}") from error
        except smtplib.SMTPRecipientsRefused as error:
            raise MailError(f"{self._where()} refused the recipient {email['To']}") from error
        except (smtplib.SMTPException, OSError) as error:
            reason = str(error) or type(error).__name__
            raise MailError(f"{self._where()} is unreachable: {reason}") from error

    def _where(self) -> str:
        return f"the mail server {self.server.host}:{self.server.port}"


class FolderBackend:
    """Development: each message goes to the log and to a ``.eml`` file (open it in any
    mail program, or read it as text) in ``folder``, usually ``instance/mail/``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._lock = threading.Lock()
        self._count = 0

    def deliver(self, email: EmailMessage) -> None:
        with self._lock:
            self._count += 1
            number = self._count
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S-%f")
        recipient = "".join(c if c.isalnum() or c in "@.-" else "_" for c in str(email["To"]))
        path = self.folder / f"{stamp}-{number}-{recipient}.eml"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            path.write_bytes(email.as_bytes(policy=SMTP))
        except OSError as error:
            raise MailError(f"cannot write {path}: {error.strerror or error}") from error
        text = email.get_body(preferencelist=("plain",))
        log.info(
            "development mail to %s, saved as %s:\nSubject: %s\n\n%s",
            email["To"],
            path,
            email["Subject"],
            text.get_content() if text is not None else "",
        )


class UnconfiguredBackend:
    """Production without a mail server: every send fails, saying what to set."""

    def deliver(self, email: EmailMessage) -> None:
        raise MailError("no mail server is configured; set mail_url (TENANTRY_MAIL_URL)")
