"""Each tenant's time zone: which names are valid, and how a moment reads on its pages.

Times are stored and sent by the API in UTC; pages and admins show them in the
tenant's zone (UTC on the root host). ``when`` is the one place that decides how a
moment reads, so a later translation swaps one function.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from markupsafe import Markup

from tenantry.errors import ValidationFailed
from tenantry.tenancy.context import get_tenant

DEFAULT = "UTC"


@cache
def names() -> tuple[str, ...]:
    """Every zone name this machine knows (system data, else the tzdata package), sorted."""
    return tuple(sorted(name for name in available_timezones() if "/" in name or name == "UTC"))


def validate(name: str) -> str:
    """``name`` if it is a known IANA zone such as ``Europe/Berlin``; else ValidationFailed."""
    name = (name or "").strip()
    if name not in names():
        raise ValidationFailed(
            {"timezone": f"{name!r} is not a known time zone; use a name such as Europe/Berlin"}
        )
    return name


def zone(name: str | None = None) -> ZoneInfo:
    """The zone ``name``, or the current tenant's (UTC outside a tenant)."""
    if name is None:
        tenant = get_tenant()
        name = tenant.timezone if tenant is not None else DEFAULT
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT)


def when(moment: datetime | None) -> Markup:
    """A moment as a person reads it, in the current tenant's zone, to the minute:
    ``<time datetime="...">27 Nov 2026, 14:05</time>``, the exact UTC instant as its
    machine-readable value and tooltip."""
    if moment is None:
        return Markup("")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone(zone())
    shown = f"{local.day} {local:%b %Y, %H:%M}"
    if get_tenant() is None:
        shown += " UTC"
    exact = moment.astimezone(UTC).isoformat(timespec="seconds")
    return Markup('<time datetime="{0}" title="{0}">{1}</time>').format(exact, shown)
