"""The audit log: who did what to which object, when and from which address.

Two tables with the same columns: a tenant's entries (``AuditEntry``, tenant-scoped:
its admins read them in /manage, they are exported and purged with it, and the
table distributes by tenant like every other), and the platform's own
(``PlatformAuditEntry``, Global: operators signing in, a tenant purged), which
only operators see. Rows are only ever added: the database refuses to change one.

Write an entry with ``record(...)`` (plugins: ``tenantry.audit(...)``) inside the
transaction of the change it describes, so both commit or neither does. The
actor is whoever is acting: the signed-in person of a request, the CLI, a job
(``acting_as``). Entries never hold secrets: ``detail`` keys that look like one
are refused.
"""

from __future__ import annotations

import os
import pwd
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import JSON, BigInteger, Index, String, insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from tenantry import signals
from tenantry.db import Base, UtcDateTime, db
from tenantry.tenancy.context import TenantRef, get_tenant, tenant_context
from tenantry.tenancy.mixins import Global, TenantScoped
from tenantry.tenancy.models import utcnow

ACTION = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
SECRET_KEYS = re.compile(r"pass(word)?|secret|hash|credential|private", re.IGNORECASE)
#: ``tenant=`` left out: the current tenant, or none outside a tenant.
CURRENT = object()


@dataclass(frozen=True)
class Actor:
    """Who acted: a user or operator (with id), the CLI, a job, or an anonymous visitor."""

    kind: str
    label: str
    id: int | None = None

    @classmethod
    def cli(cls) -> Actor:
        try:
            name = pwd.getpwuid(os.getuid()).pw_name
        except KeyError:
            name = str(os.getuid())
        return cls("cli", f"cli ({name})")

    @classmethod
    def job(cls, name: str) -> Actor:
        return cls("job", f"job {name}")


ANONYMOUS = Actor("anonymous", "anonymous")
SYSTEM = Actor("system", "system")
_actor: ContextVar[Actor | None] = ContextVar("tenantry.actor", default=None)


@contextmanager
def acting_as(actor: Actor) -> Iterator[Actor]:
    """Entries recorded inside the block name ``actor`` (the CLI, a job, a person)."""
    token = _actor.set(actor)
    try:
        yield actor
    finally:
        _actor.reset(token)


def current_actor() -> Actor:
    explicit = _actor.get()
    if explicit is not None:
        return explicit
    if has_request_context():
        actor = getattr(current_user, "actor", None)
        return actor if isinstance(actor, Actor) else ANONYMOUS
    return SYSTEM


class AuditColumns:
    """What an entry says, in either log."""

    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(BigInteger)
    actor_label: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(64), index=True)
    target_kind: Mapped[str | None] = mapped_column(String(64))
    target_id: Mapped[str | None] = mapped_column(String(64))
    target_label: Mapped[str | None] = mapped_column(String(254))
    address: Mapped[str | None] = mapped_column(String(45))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    def __str__(self) -> str:
        return f"{self.action} by {self.actor_label}"


class AuditEntry(AuditColumns, TenantScoped, Base):
    """One action in a tenant's log; tenants see their own only (the ORM and row-level
    security confine reads to the current tenant)."""

    __tablename__ = "tenantry_audit_entry"
    __table_args__ = (Index("ix_tenantry_audit_entry_tenant_id_at", "tenant_id", "at"),)


class PlatformAuditEntry(AuditColumns, Global, Base):
    """One action about no tenant (operators, purges); only operators' code reads these."""

    __tablename__ = "tenantry_platform_audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)


def _kind(obj: object) -> str:
    explicit = getattr(type(obj), "__audit_kind__", None)
    if explicit:
        return explicit
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(obj).__name__).lower()


def record(
    action: str,
    target: object | None = None,
    *,
    detail: Mapping[str, Any] | None = None,
    tenant: Any = CURRENT,
    actor: Actor | None = None,
    label: str | None = None,
    session: Session | None = None,
) -> None:
    """Add one entry in the current transaction (it commits with the change it describes).

    ``target`` is the object acted on (a row: its kind, id and ``str``); ``tenant``
    the tenant whose log gets it (a Tenant, a TenantRef, its id, or None for the platform's).
    """
    if not ACTION.match(action):
        raise ValueError(
            f"audit action {action!r} must be dotted lowercase words, e.g. 'notes.note_deleted'"
        )
    values = dict(detail or {})
    secret = [key for key in values if SECRET_KEYS.search(key)]
    if secret:
        raise ValueError(f"audit details never hold secrets; refused key(s): {', '.join(secret)}")
    owner = get_tenant() if tenant is CURRENT else tenant
    if isinstance(owner, int):  # known by id only: enough for the row and its policy
        owner = TenantRef(owner, slug="", name="")
    who = actor or current_actor()
    row = {
        "at": utcnow(),
        "actor_kind": who.kind,
        "actor_id": who.id,
        "actor_label": who.label[:254],
        "action": action,
        "target_kind": _kind(target) if target is not None else None,
        "target_id": _target_id(target),
        "target_label": (label if label is not None else _label(target))[:254] or None,
        "address": request.remote_addr if has_request_context() else None,
        "detail": values,
    }
    session = session or db.session
    if owner is None:
        session.execute(insert(PlatformAuditEntry).values(**row))
        return
    # Written where it belongs whatever the caller's context: row-level security checks it.
    with tenant_context(owner):
        session.execute(insert(AuditEntry).values(**row, tenant_id=owner.id))


def audit(
    action: str,
    target: object | None = None,
    *,
    detail: Mapping[str, Any] | None = None,
    label: str | None = None,
) -> None:
    """Record a plugin's own event in the current tenant's audit log (public: ``tenantry.audit``).

    ``action`` is ``"<plugin>.<what happened>"`` (``"notes.note_deleted"``), ``target`` the row
    acted on, ``detail`` a few plain values (never secrets). It commits with the caller's
    transaction; the actor (the signed-in person, the CLI or a job) is filled in.
    """
    record(action, target, detail=detail, label=label)


def _target_id(target: object | None) -> str | None:
    value = getattr(target, "id", None)
    return str(value) if value is not None else None


def _label(target: object | None) -> str:
    return "" if target is None else str(target)


# --- core events that the services announce as signals -----------------------------------


def _tenant_event(action: str, **detail_of: str):
    def receiver(tenant: Any, **kwargs: Any) -> None:
        detail = {key: str(getattr(tenant, attr)) for key, attr in detail_of.items()}
        record(action, tenant, tenant=tenant, detail=detail)

    receiver.__name__ = f"audit_{action.replace('.', '_')}"
    return receiver


def _plugin_event(action: str):
    def receiver(tenant: Any, plugin: str, **kwargs: Any) -> None:
        detail = {"plugin": plugin}
        if "changes" in kwargs:
            detail["changes"] = kwargs["changes"]
        record(action, tenant, tenant=tenant, detail=detail, label=f"{plugin} ({tenant.slug})")

    receiver.__name__ = f"audit_{action.replace('.', '_')}"
    return receiver


def _purged(tenant: Any, **kwargs: Any) -> None:
    # The tenant's own log goes with its data; the platform's keeps this entry.
    record("tenant.purged", tenant, tenant=None, detail={"rows": kwargs.get("rows", 0)})


_RECEIVERS = (
    (signals.tenant_created, _tenant_event("tenant.created", name="name")),
    (signals.tenant_suspended, _tenant_event("tenant.suspended")),
    (signals.tenant_resumed, _tenant_event("tenant.resumed")),
    (signals.tenant_deleted, _tenant_event("tenant.deleted", purge_after="purge_after")),
    (signals.tenant_deletion_cancelled, _tenant_event("tenant.deletion_cancelled")),
    (signals.tenant_purged, _purged),
    (signals.plugin_enabled, _plugin_event("plugin.enabled")),
    (signals.plugin_disabled, _plugin_event("plugin.disabled")),
    (signals.plugin_settings_changed, _plugin_event("plugin.settings_changed")),
    (signals.plugin_locked, _plugin_event("plugin.locked")),
    (signals.plugin_unlocked, _plugin_event("plugin.unlocked")),
)


def init_app() -> None:
    """Record the core's lifecycle and plugin signals (connected once per process)."""
    for signal, receiver in _RECEIVERS:
        signal.connect(receiver, weak=False)
