"""Reports in the console (SPEC §5.14, §5.8): charts drawn by the server as inline SVG
(``shared.svgcharts``, no script), each with its numbers in a table beside it.

- Revenue by month, invoiced vs collected (``reports.finance.revenue_by_month``, the figures of
  ``/admin/metrics``) and AR aging (``reports.finance.aging_totals_today``): the ``finance``
  permission, as ``/admin/reports/*``.
- Bookings by week, by outcome: anyone who can see bookings (``view``).
- NPS by worker (``reviews.summary``, carried by ``/admin/metrics``): the ``admin`` permission.

A section the signed-in role may not see is left out, with a line saying which permission shows
it; the page itself needs ``view``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import g
from markupsafe import Markup
from sqlalchemy import case, func, select

from shared import db, svgcharts
from shared.auth.permissions import allows
from shared.svgcharts import Series
from shared.web import i18n
from shared.web.pages import render_page
from tenantapp.bookings.models import Booking
from tenantapp.console.blueprint import blp
from tenantapp.console.guard import console_page
from tenantapp.reports import finance
from tenantapp.reviews import service as reviews
from tenantapp.settings.service import local_day_start, tenant_zone

MONTHS = 12
WEEKS = 12
NPS_DAYS = 90
OUTCOMES = ("done", "scheduled", "cancelled")
OUTCOME_OF = {
    "DONE": "done",
    "PENDING": "scheduled",
    "CONFIRMED": "scheduled",
    "CANCELLED": "cancelled",
    "SKIPPED": "cancelled",
}


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    svg: Markup
    labels: list[str]  # the rows of the table beside the chart
    rows: list[Series]  # its columns
    money: bool = False


def money(value: float) -> str:
    return f"${value / 100:,.0f}"


def _month_starts(today: date) -> list[date]:
    first = today.replace(day=1)
    starts = []
    for back in range(MONTHS - 1, -1, -1):
        y, m = divmod(first.year * 12 + first.month - 1 - back, 12)
        starts.append(date(y, m + 1, 1))
    return starts


def revenue_chart(today: date) -> Chart:
    starts = _month_starts(today)
    figures = finance.revenue_by_month(starts[0], len(starts))
    labels = [s.strftime("%b %Y") for s in starts]
    rows = [
        Series(i18n.message("console.reports.invoiced"), [f["invoiced_cents"] for f in figures]),
        Series(i18n.message("console.reports.collected"), [f["collected_cents"] for f in figures]),
    ]
    title = i18n.message("console.reports.revenue")
    svg = svgcharts.line_chart(
        title,
        i18n.message("console.reports.revenue_desc", n=MONTHS),
        labels,
        rows,
        fmt=money,
        chart_id="chart-revenue",
        empty=i18n.message("console.reports.empty"),
    )
    return Chart("revenue", title, svg, labels, rows, money=True)


def bookings_by_week(today: date) -> tuple[list[date], dict[str, list[int]]]:
    """Bookings per local week (Monday first) over the last ``WEEKS`` weeks, by outcome."""
    zone = tenant_zone()
    this_monday = today - timedelta(days=today.weekday())
    mondays = [this_monday - timedelta(weeks=w) for w in range(WEEKS - 1, -1, -1)]
    start, end = local_day_start(mondays[0]), local_day_start(this_monday + timedelta(weeks=1))
    week = func.date_trunc("week", func.timezone(zone.key, Booking.starts_at))
    outcome = case(
        *((Booking.status == status, name) for status, name in OUTCOME_OF.items()),
        else_="scheduled",
    )
    rows = db.session().execute(
        select(week, outcome, func.count())
        .where(Booking.starts_at >= start, Booking.starts_at < end)
        .group_by(week, outcome)
    )
    index = {m: i for i, m in enumerate(mondays)}
    counts = {name: [0] * len(mondays) for name in OUTCOMES}
    for week_start, name, n in rows:
        i = index.get(week_start.date())
        if i is not None:
            counts[name][i] += n
    return mondays, counts


def bookings_chart(today: date) -> Chart:
    mondays, counts = bookings_by_week(today)
    labels = [m.strftime("%b %d").replace(" 0", " ") for m in mondays]
    rows = [Series(i18n.message(f"console.reports.outcomes.{k}"), counts[k]) for k in OUTCOMES]
    title = i18n.message("console.reports.bookings")
    svg = svgcharts.stacked_bar_chart(
        title,
        i18n.message("console.reports.bookings_desc", n=WEEKS),
        labels,
        rows,
        chart_id="chart-bookings",
        empty=i18n.message("console.reports.empty"),
    )
    return Chart("bookings", title, svg, labels, rows)


def aging_chart(today: date) -> Chart:
    totals = finance.aging_totals_today()
    labels = [i18n.message(f"console.invoices.buckets.{b}") for b in finance.BUCKETS]
    values = [totals[b] for b in finance.BUCKETS]
    title = i18n.message("console.invoices.aging")
    name = i18n.message("console.reports.owed")
    svg = svgcharts.bar_chart(
        title,
        i18n.message("console.invoices.aging_caption", date=today.isoformat()),
        labels,
        values,
        name=name,
        fmt=money,
        chart_id="chart-aging",
        empty=i18n.message("console.invoices.nothing_owed"),
    )
    return Chart("aging", title, svg, labels, [Series(name, values)], money=True)


def nps_chart(today: date) -> Chart:
    start = local_day_start(today - timedelta(days=NPS_DAYS - 1))
    summary = reviews.summary(start, local_day_start(today + timedelta(days=1)))
    workers = [w for w in summary["by_worker"] if w["responses"]]
    labels = [w["name"] or f"#{w['worker_id']}" for w in workers]
    nps = [w["nps"] for w in workers]
    title = i18n.message("console.reports.nps")
    name = i18n.message("console.reports.nps_short")
    svg = svgcharts.bar_chart(
        title,
        i18n.message("console.reports.nps_desc", n=NPS_DAYS),
        labels,
        [max(v, 0) if v is not None else None for v in nps],  # a bar cannot go below the axis
        name=name,
        chart_id="chart-nps",
        empty=i18n.message("console.reports.no_reviews"),
    )
    rows = [
        Series(name, nps),
        Series(i18n.message("console.reports.average"), [w["average"] for w in workers]),
        Series(i18n.message("console.reports.responses"), [w["responses"] for w in workers]),
    ]
    return Chart("nps", title, svg, labels, rows)


@blp.get("/reports")
@console_page("view")
def reports():
    g.console_section = "console.reports"
    role = g.console_principal.role
    today = datetime.now(tenant_zone()).date()
    charts, hidden = [], []
    if allows(role, "finance"):
        charts.append(revenue_chart(today))
    else:
        hidden.append(("console.reports.revenue", "finance"))
    charts.append(bookings_chart(today))
    if allows(role, "finance"):
        charts.append(aging_chart(today))
    else:
        hidden.append(("console.invoices.aging", "finance"))
    if allows(role, "admin"):
        charts.append(nps_chart(today))
    else:
        hidden.append(("console.reports.nps", "admin"))
    return render_page("console/reports/index.html", charts=charts, hidden=hidden)
