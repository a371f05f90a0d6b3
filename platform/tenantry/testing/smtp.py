"""A real SMTP server for tests: aiosmtpd on a free loopback port, and what it received.

    with MailCatcher() as server:          # plain; or tls_context= (STARTTLS),
        ...                                # ssl_context= (implicit TLS), users= (AUTH)
        message = server.wait_for("ann@acme.test")
        message.subject, message.text, message.link("/invitation/")

The ``outbox`` fixture points the app under test at one such server for a test.
"""

from __future__ import annotations

import email
import re
import ssl
import threading
import time
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import default
from typing import Any

from tenantry.testing.servers import free_port

URL = re.compile(r"https?://[^\s<>\"']+")


@dataclass(frozen=True)
class Received:
    """One message as the server got it."""

    mail_from: str
    recipients: tuple[str, ...]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def sender(self) -> str:
        return str(self.message["From"])

    def part(self, kind: str) -> str:
        body = self.message.get_body(preferencelist=(kind,))
        return body.get_content() if body is not None else ""

    @property
    def text(self) -> str:
        return self.part("plain")

    @property
    def html(self) -> str:
        return self.part("html")

    def links(self) -> list[str]:
        return URL.findall(self.text)

    def link(self, containing: str) -> str:
        """The first link of the text part whose URL contains ``containing``."""
        found = [url for url in self.links() if containing in url]
        assert found, f"no link containing {containing!r} in:\n{self.text}"
        return found[0]


class MailCatcher:
    """An SMTP server in a thread, for the length of a ``with`` block (or start/stop)."""

    def __init__(
        self,
        *,
        tls_context: ssl.SSLContext | None = None,
        ssl_context: ssl.SSLContext | None = None,
        users: dict[str, str] | None = None,
    ) -> None:
        self.port = free_port()
        self.messages: list[Received] = []
        self._arrived = threading.Condition()
        self._tls, self._ssl, self._users = tls_context, ssl_context, users
        self._controller: Any = None

    def __enter__(self) -> MailCatcher:
        self.start()
        return self

    def __exit__(self, *_exc: Any) -> None:
        self.stop()

    def start(self) -> None:
        # Imported here: aiosmtpd is a test-only dependency, and importing the testing kit
        # (which every installed tenantry registers with pytest) must not need it.
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult

        def authenticate(_server, _session, _envelope, _mechanism, data) -> AuthResult:
            login = data.login.decode() if isinstance(data.login, bytes) else str(data.login)
            password = data.password.decode() if isinstance(data.password, bytes) else ""
            ok = (self._users or {}).get(login) == password
            return AuthResult(success=ok, handled=False)  # not handled: the server answers 535

        options: dict[str, Any] = {"hostname": "127.0.0.1", "port": self.port}
        if self._tls is not None:
            options.update(tls_context=self._tls, require_starttls=True)
        if self._ssl is not None:
            options["ssl_context"] = self._ssl
        if self._users is not None:
            options.update(
                authenticator=authenticate,
                auth_required=True,
                # aiosmtpd sees STARTTLS only; behind implicit TLS it cannot tell.
                auth_require_tls=self._tls is not None,
                # smtplib tries each mechanism in turn; one (PLAIN) answers a refusal at once.
                auth_exclude_mechanism=["LOGIN"],
            )
        self._controller = Controller(_Handler(self), **options)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def clear(self) -> None:
        with self._arrived:
            self.messages.clear()

    def arrived(self, received: Received) -> None:
        with self._arrived:
            self.messages.append(received)
            self._arrived.notify_all()

    def to(self, address: str) -> list[Received]:
        with self._arrived:
            return [m for m in self.messages if address in m.recipients]

    def wait_for(self, address: str, timeout: float = 5.0, count: int = 1) -> Received:
        """The latest message to ``address`` once ``count`` have arrived; fails after
        ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(found := [m for m in self.messages if address in m.recipients]) < count:
                left = deadline - time.monotonic()
                assert left > 0, f"no mail to {address} within {timeout}s: {self.messages}"
                self._arrived.wait(left)
        return found[-1]


class _Handler:
    def __init__(self, catcher: MailCatcher) -> None:
        self.catcher = catcher

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=default)
        assert isinstance(message, EmailMessage)
        self.catcher.arrived(Received(envelope.mail_from, tuple(envelope.rcpt_tos), message))
        return "250 OK"
