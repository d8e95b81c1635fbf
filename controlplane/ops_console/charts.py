"""The console's charts: snapshot series drawn with ``shared.svgcharts``, with their numbers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup

from controlplane.ops_console import series
from shared import svgcharts
from shared.models.tenants import TENANT_STATUSES
from shared.svgcharts import Series


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    svg: Markup
    labels: list[str]  # the x axis, for the table under the chart
    rows: list[Series]  # the numbers behind the chart


def money(cents: float) -> str:
    return f"${cents / 100:,.0f}"


def _ordered(found: dict, order) -> list[str]:
    known = [k for k in order if k in found]
    return known + sorted(k for k in found if k not in known)


def build(range_name: str, now: datetime | None = None) -> list[Chart]:
    """Signups per day, tenants by status, MRR by plan, API requests per hour, outbox and DLQ
    depth — over ``range_name`` (one of ``series.RANGES``)."""
    ax = series.axis(range_name, now)
    day_ax = series.axis(range_name, now, bucket="day") if ax.bucket == "hour" else ax
    span = {"48h": "48 hours", "7d": "7 days", "30d": "30 days", "90d": "90 days"}.get(
        range_name, "400 days"
    )
    charts = []

    signups = series.values("signups", day_ax).get("", [None] * len(day_ax.starts))
    charts.append(
        Chart(
            "signups",
            "Signups per day",
            svgcharts.bar_chart(
                "Signups per day",
                f"New workspaces per UTC day over the last {span}.",
                day_ax.labels,
                signups,
                name="Signups",
                chart_id="chart-signups",
            ),
            day_ax.labels,
            [Series("Signups", signups)],
        )
    )

    by_status = series.values("tenants", ax)
    status_rows = [Series(s, by_status[s]) for s in _ordered(by_status, TENANT_STATUSES)]
    charts.append(
        Chart(
            "tenants",
            "Tenants by status",
            svgcharts.stacked_bar_chart(
                "Tenants by status",
                f"Tenants in each lifecycle status at each snapshot, last {span}.",
                ax.labels,
                status_rows,
                chart_id="chart-tenants",
            ),
            ax.labels,
            status_rows,
        )
    )

    mrr = series.values("mrr_cents", ax)
    mrr_rows = [Series(p, mrr[p]) for p in sorted(mrr)]
    charts.append(
        Chart(
            "mrr",
            "MRR by plan",
            svgcharts.stacked_bar_chart(
                "MRR by plan",
                f"Monthly recurring revenue by plan (active and suspended tenants), last {span}.",
                ax.labels,
                mrr_rows,
                fmt=money,
                chart_id="chart-mrr",
            ),
            ax.labels,
            mrr_rows,
        )
    )

    # Hourly by nature: over a range drawn by day, the last 7 days by hour.
    requests_ax = ax if ax.bucket == "hour" else series.axis("7d", now)
    requests = series.values("api_requests", requests_ax).get("", [None] * len(requests_ax.starts))
    charts.append(
        Chart(
            "api_requests",
            "API requests per hour",
            svgcharts.line_chart(
                "API requests per hour",
                "Metered API requests across all tenants per UTC hour.",
                requests_ax.labels,
                [Series("API requests", requests)],
                chart_id="chart-api-requests",
            ),
            requests_ax.labels,
            [Series("API requests", requests)],
        )
    )

    outbox = series.values("outbox_depth", ax)
    dead = series.values("dlq_depth", ax)
    depth_rows = [
        Series("Platform outbox (messages)", outbox.get("platform", [None] * len(ax.starts))),
        Series("Tenants with outbox due", outbox.get("tenants_due", [None] * len(ax.starts))),
    ] + [Series(f"Dead letters: {k}", dead[k]) for k in sorted(dead)]
    charts.append(
        Chart(
            "depth",
            "Outbox and DLQ depth",
            svgcharts.line_chart(
                "Outbox and DLQ depth",
                f"Undelivered platform mail, tenants with outbox work due and dead letters by "
                f"kind at each snapshot, last {span}.",
                ax.labels,
                depth_rows,
                chart_id="chart-depth",
            ),
            ax.labels,
            depth_rows,
        )
    )
    return charts
