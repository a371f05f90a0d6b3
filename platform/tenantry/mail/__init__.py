"""Mail: messages rendered from templates for one tenant's site, sent once their change commits.

    message = mail.compose("invitation", to=email, tenant=tenant, link=link)
    mail.queue(db.session, message, tenant)
    db.session.commit()  # sent now (or by a worker); a change that rolls back sends nothing

Each message has a text and an HTML part, rendered from ``templates/mail/<name>.txt``
and ``.html``; the text template sets the subject (``{% set subject = ... %}``).
Every template gets ``site``: the tenant's name, host and home URL (the root host
outside a tenant), so every link names the tenant's own host.

``send(message)`` is the one place a message leaves the process: to the SMTP
server of the settings, or, in development and tests without one, to the log
and ``instance/mail/``.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, replace
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import Any

from flask import Flask, current_app
from flask_babel import force_locale
from sqlalchemy import event
from sqlalchemy.orm import Session

from tenantry import jobs
from tenantry.links import site_host, site_url
from tenantry.mail.backends import (
    Backend,
    FolderBackend,
    MailError,
    SmtpBackend,
    UnconfiguredBackend,
)
from tenantry.settings import Settings
from tenantry.tenancy.context import tenant_context

__all__ = [
    "MailError",
    "Message",
    "Site",
    "compose",
    "deliver",
    "init_app",
    "queue",
    "send",
    "undelivered",
    "use_backend",
]

log = logging.getLogger(__name__)
EXTENSION = "tenantry.mail"
_OUTBOX = "tenantry.mail.outbox"
_UNDELIVERED = "tenantry.mail.undelivered"


@dataclass(frozen=True)
class Site:
    """The site a message speaks for: what its templates call ``site``."""

    name: str
    host: str
    url: str


@dataclass(frozen=True)
class Message:
    """A rendered message: plain values only, so it can be queued or handed to a job."""

    to: str
    subject: str
    text: str
    html: str
    sender: str  # "Acme <noreply@example.com>"
    site_host: str

    def as_email(self) -> EmailMessage:
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = self.to
        email["Subject"] = self.subject
        email["Message-ID"] = make_msgid(domain=self.site_host.split(":")[0])
        email.set_content(self.text)
        email.add_alternative(self.html, subtype="html")
        return email


@dataclass(frozen=True)
class _Mailer:
    backend: Backend
    sender_address: str
    platform_name: str
    #: With workers (``jobs_url``), a job sends each message.
    through_jobs: bool


def init_app(app: Flask, settings: Settings) -> None:
    server = settings.mail_server
    backend: Backend
    if server is not None:
        backend = SmtpBackend(server, settings.mail_timeout)
    elif settings.env == "production":
        backend = UnconfiguredBackend()
        log.warning("no mail server configured (mail_url): invitations and resets cannot be sent")
    else:
        backend = FolderBackend(settings.instance_path.resolve() / "mail")
    app.extensions[EXTENSION] = _Mailer(
        backend, settings.mail_sender, "Tenantry", through_jobs=settings.jobs_url is not None
    )
    if not event.contains(Session, "after_commit", _deliver_outbox):
        event.listen(Session, "after_commit", _deliver_outbox)
        event.listen(Session, "after_soft_rollback", _drop_outbox)


def _mailer() -> _Mailer:
    return current_app.extensions[EXTENSION]


def use_backend(app: Flask, backend: Backend) -> Backend:
    """Send ``app``'s mail through ``backend`` from now on; returns the one it replaces
    (tests point the app at their own SMTP server this way)."""
    current = app.extensions[EXTENSION]
    app.extensions[EXTENSION] = replace(current, backend=backend)
    return current.backend


def site_of(tenant: Any | None) -> Site:
    """The site of a tenant (a Tenant or TenantRef), or the platform's for None."""
    name = tenant.name if tenant is not None else _mailer().platform_name
    return Site(name=name, host=site_host(tenant), url=site_url(tenant))


def compose(
    template: str, *, to: str, tenant: Any | None, locale: str | None = None, **context: Any
) -> Message:
    """Render ``mail/<template>.txt`` and ``.html`` for ``tenant``'s site (None: the platform),
    in the recipient's language: ``locale`` (their own choice), else the tenant's default,
    else the current request's."""
    chosen = locale or getattr(tenant, "locale", None)
    if chosen:
        with force_locale(chosen):
            return _compose(template, to, tenant, context)
    return _compose(template, to, tenant, context)


def _compose(template: str, to: str, tenant: Any | None, context: dict[str, Any]) -> Message:
    site = site_of(tenant)
    context = {"site": site, "recipient": to, **context}
    env = current_app.jinja_env
    text_module = env.get_template(f"mail/{template}.txt").make_module(context)
    subject = getattr(text_module, "subject", None)
    if not subject:
        raise LookupError(f"mail/{template}.txt must set the subject: {{% set subject = ... %}}")
    html = env.get_template(f"mail/{template}.html").render(context, subject=subject)
    return Message(
        to=to,
        subject=" ".join(str(subject).split()),
        text=str(text_module).strip() + "\n",
        html=html,
        sender=formataddr((site.name, _mailer().sender_address)),
        site_host=site.host,
    )


def send(message: Message) -> None:
    """Hand ``message`` to the configured backend now; raises MailError when it cannot."""
    _mailer().backend.deliver(message.as_email())
    log.info("mail sent to %s: %s", message.to, message.subject)


def queue(session: Session, message: Message, tenant: Any | None) -> None:
    """Send ``message`` (for ``tenant``'s site, None: the platform's) once ``session``
    commits; nothing if it rolls back.

    With workers, a job sends it: the request never waits for the SMTP server, so its
    timing says nothing about whether the address has an account. Without, it is sent
    right after the commit and a failure is told to whoever made the change
    (``undelivered``)."""
    if _mailer().through_jobs:
        if tenant is None:
            jobs.enqueue_platform(deliver, asdict(message))
        else:
            with tenant_context(tenant):  # the mail is that tenant's, whoever sends it
                jobs.enqueue(deliver, asdict(message))
        return
    if not session.in_transaction():
        session.begin()  # no SQL yet; it gives the message a transaction to wait for
    session.info.setdefault(_OUTBOX, []).append(message)


def deliver(message: dict[str, str]) -> None:
    """The job that sends one queued message (its fields, as JSON)."""
    send(Message(**message))


def undelivered(session: Session) -> list[str]:
    """Why queued messages of the last commit could not be sent (each said once), for the
    person who made the change: an admin should know the invitation did not go out."""
    return session.info.pop(_UNDELIVERED, [])


def _deliver_outbox(session: Session) -> None:
    outbox = session.info.pop(_OUTBOX, None)
    for message in outbox or ():
        try:
            send(message)
        except MailError as error:
            log.error("mail to %s not sent: %s", message.to, error)
            session.info.setdefault(_UNDELIVERED, []).append(
                f"The email to {message.to} could not be sent: {error}"
            )


def _drop_outbox(session: Session, previous: Any) -> None:
    """Any rollback of the whole transaction (not of a savepoint) sends nothing."""
    if not getattr(previous, "nested", False):
        session.info.pop(_OUTBOX, None)
