"""Each tenant's time zone: which names are valid, and how a moment reads on its pages.

Times are stored and sent by the API in UTC; pages and admins show them in the
tenant's zone (UTC on the root host), written the way the request's language writes
them (CLDR's patterns, through Babel). ``when`` is the one place that decides how a
moment reads.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from babel import Locale
from babel.dates import format_date, format_time, get_datetime_format
from flask_babel import get_locale
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
    """A moment as a person reads it, in the current tenant's zone and the request's
    language, to the minute: ``<time datetime="...">Nov 27, 2026, 2:05 PM</time>``
    (``27.11.2026, 14:05`` in German), the exact UTC instant as its machine-readable
    value and tooltip."""
    if moment is None:
        return Markup("")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    shown = local_text(moment.astimezone(zone()), get_locale() or Locale("en"))
    if get_tenant() is None:
        shown += " UTC"
    exact = moment.astimezone(UTC).isoformat(timespec="seconds")
    return Markup('<time datetime="{0}" title="{0}">{1}</time>').format(exact, shown)


def local_text(local: datetime, locale: Locale) -> str:
    """``local`` as ``locale`` writes a date (medium) and a time (short, no seconds)."""
    pattern = get_datetime_format("medium", locale=locale).replace("'", "")
    date = format_date(local, "medium", locale=locale)
    return pattern.replace("{1}", date).replace("{0}", format_time(local, "short", locale=locale))
