"""The usage charts of both dashboards, from ``tenantry_usage_day`` (last 30 days).

Scope: ``platform_charts`` reads every tenant's days (the platform admin, inside
``all_tenants()``); ``tenant_charts`` reads the current tenant's only, by its id (and
row-level security on PostgreSQL).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tenantry.charts import bar_chart, line_chart
from tenantry.plugins.models import TenantPlugin
from tenantry.tenancy.models import Tenant
from tenantry.usage import days_of

DAYS = 30
TOP = 8


def _window() -> tuple[date, list[date]]:
    today = datetime.now(UTC).date()
    since = today - timedelta(days=DAYS - 1)
    return since, [since + timedelta(days=n) for n in range(DAYS)]


def _label(day: date) -> str:
    return day.strftime("%d %b")


def platform_charts(session: Session) -> list[Markup]:
    """Requests and errors per day, tenants by activity, error rate and storage, plugin
    adoption: empty list when nothing was recorded yet."""
    since, days = _window()
    rows = days_of(session, None, since)
    if not rows:
        return []
    slugs = dict(session.execute(select(Tenant.id, Tenant.slug)).all())
    requests: dict[date, int] = defaultdict(int)
    errors: dict[date, int] = defaultdict(int)
    by_tenant: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    storage: dict[int, int] = {}
    for row in rows:
        requests[row.day] += row.requests
        errors[row.day] += row.errors
        by_tenant[row.tenant_id][0] += row.requests
        by_tenant[row.tenant_id][1] += row.errors
        if row.storage_bytes:
            storage[row.tenant_id] = row.storage_bytes  # the latest day's, rows come in order
    busiest = sorted(by_tenant.items(), key=lambda item: item[1][0], reverse=True)[:TOP]
    failing = sorted(
        ((t, e / r * 100) for t, (r, e) in by_tenant.items() if r and e),
        key=lambda item: item[1],
        reverse=True,
    )[:TOP]
    largest = sorted(storage.items(), key=lambda item: item[1], reverse=True)[:TOP]
    adoption = session.execute(
        select(TenantPlugin.plugin, func.count())
        .where(TenantPlugin.enabled.is_(True))
        .group_by(TenantPlugin.plugin)
        .order_by(func.count().desc())
    ).all()
    charts = [
        line_chart(
            f"Requests per day, last {DAYS} days",
            [_label(d) for d in days],
            [
                ("requests", [requests[d] for d in days]),
                ("errors (5xx)", [errors[d] for d in days]),
            ],
        ),
        bar_chart("Busiest tenants (requests)", [(slugs.get(t, "?"), c[0]) for t, c in busiest]),
    ]
    if failing:
        charts.append(
            bar_chart(
                "Error rate by tenant", [(slugs.get(t, "?"), rate) for t, rate in failing], "%"
            )
        )
    if largest:
        charts.append(
            bar_chart(
                "Storage by tenant (estimate)", [(slugs.get(t, "?"), b) for t, b in largest], "B"
            )
        )
    if adoption:
        charts.append(bar_chart("Plugin adoption (tenants)", [(p, n) for p, n in adoption]))
    return charts


def tenant_charts(session: Session, tenant_id: int) -> list[Markup]:
    """The tenant's own requests, errors and active users per day, and its rows per table."""
    since, days = _window()
    rows = {row.day: row for row in days_of(session, tenant_id, since)}
    if not rows:
        return []
    labels = [_label(d) for d in days]

    def daily(field: str) -> list[float]:
        return [getattr(rows[d], field) if d in rows else 0 for d in days]

    charts = [
        line_chart(
            f"Requests per day, last {DAYS} days",
            labels,
            [("requests", daily("requests")), ("errors (5xx)", daily("errors"))],
        ),
        line_chart("Active users per day", labels, [("users", daily("active_users"))]),
    ]
    latest = next((rows[d] for d in reversed(days) if d in rows and rows[d].rows), None)
    if latest is not None and latest.rows:
        counts = sorted(latest.rows.items(), key=lambda item: item[1], reverse=True)[:TOP]
        charts.append(bar_chart("Rows stored, by table", counts))
    return charts
