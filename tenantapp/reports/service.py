"""Tenant business metrics over a tenant-local date range (SPEC §5.8).

The range is ``[from, to)`` in tenant-local dates. Leads count by ``created_at``; every booking
figure counts bookings by service date (``starts_at``), so a report for last month describes the
work done last month whatever day it was booked.

- conversions: ``leads``, ``bookings`` (any status), ``confirmed`` (ever confirmed), ``completed``
  (DONE) and ``lead_conversion_rate`` (share of the range's leads that have a booking).
- ``revenue``: from the invoices (``reports/finance.py``): ``invoiced_cents`` (pre-tax, issued in
  the range, net of credit notes), ``invoiced_tax_cents``, ``collected_cents`` (payments received
  less refunds) and ``refunded_cents``.
- ``revenue_cents`` (kept): DONE bookings' ``total_cents`` net of ``refund_cents``;
  ``average_order_value_cents`` = revenue ÷ completed (rounded half up), null without completions.
- estimate accuracy: DONE bookings with finished time tracking; estimated = booked
  ``duration_minutes``, actual = the tracked segments; ``ratio`` = actual ÷ estimated.
- utilisation per active team: booked minutes of its non-cancelled bookings ÷ the minutes of its
  working windows on every local date of the range (DST-aware through ``window_bounds``).
- ``cancellation_rate``: cancelled ÷ bookings.
- retention 30/60/90: of the customers with a DONE booking in the range (their first one), the share
  with another non-cancelled booking starting within N days after it.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from shared import db
from shared.csvsafe import csv_lines
from shared.errors import field_error
from tenantapp.bookings.models import Booking
from tenantapp.bookings.slots import window_bounds
from tenantapp.leads.models import Lead
from tenantapp.reports import finance
from tenantapp.reviews import service as reviews
from tenantapp.scheduling.models import WorkingHours
from tenantapp.settings.models import TenantSettings
from tenantapp.teams.models import Team
from tenantapp.timetracking.models import TimeEntry, TimeSegment

MAX_RANGE_DAYS = 366
RETENTION_DAYS = (30, 60, 90)


def _zone() -> ZoneInfo:
    return ZoneInfo(db.session().get(TenantSettings, 1).time_zone)


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)


def _ratio(num, den, places: int = 4) -> float | None:
    if not den:
        return None
    return float((Decimal(num) / Decimal(den)).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP))


def resolve_range(start: date | None, end: date | None, zone: ZoneInfo) -> tuple[date, date]:
    """Defaults: the last 30 local days up to and including today."""
    today = datetime.now(zone).date()
    end = end or today + timedelta(days=1)
    start = start or end - timedelta(days=30)
    if end <= start:
        raise field_error("to", "'to' must be after 'from'.")
    if (end - start).days > MAX_RANGE_DAYS:
        raise field_error("to", f"The range may span at most {MAX_RANGE_DAYS} days.")
    return start, end


def metrics(start_day: date | None, end_day: date | None) -> dict:
    """The SPEC §5.8 report for tenant-local dates [start_day, end_day) (docs/architecture.md)."""
    sess = db.session()
    zone = _zone()
    start_day, end_day = resolve_range(start_day, end_day, zone)
    start, end = _midnight(start_day, zone), _midnight(end_day, zone)

    leads = sess.scalar(
        select(func.count())
        .select_from(Lead)
        .where(Lead.created_at >= start, Lead.created_at < end)
    )
    converted = sess.scalar(
        select(func.count(func.distinct(Lead.id)))
        .join(Booking, Booking.lead_id == Lead.id)
        .where(Lead.created_at >= start, Lead.created_at < end)
    )
    bookings = list(
        sess.scalars(select(Booking).where(Booking.starts_at >= start, Booking.starts_at < end))
    )
    done = [b for b in bookings if b.status == "DONE"]
    cancelled = [b for b in bookings if b.status == "CANCELLED"]
    revenue = sum(b.total_cents - b.refund_cents for b in done)
    aov = int((Decimal(revenue) / len(done)).quantize(Decimal(1), ROUND_HALF_UP)) if done else None
    return {
        "from": start_day,
        "to": end_day,
        "time_zone": zone.key,
        "conversions": {
            "leads": leads,
            "bookings": len(bookings),
            "confirmed": sum(1 for b in bookings if b.confirmed_at is not None),
            "completed": len(done),
            "lead_conversion_rate": _ratio(converted, leads),
        },
        "revenue_cents": revenue,
        "revenue": finance.revenue(start_day, end_day),
        "average_order_value_cents": aov,
        "estimate_accuracy": _estimate_accuracy(sess, done),
        "utilisation": _utilisation(sess, bookings, start_day, end_day, zone),
        "cancellation_rate": _ratio(len(cancelled), len(bookings)),
        "retention": _retention(sess, done),
        # The review loop (SPEC §5.12): answers submitted in the range, overall and per worker.
        "reviews": reviews.summary(start, end),
    }


def _estimate_accuracy(sess, done: list[Booking]) -> dict:
    """Tracked against booked time, per finished timer: each crew member's timer is planned for
    the booking's duration (SPEC §5.5), so a crew of two counts the duration twice."""
    by_id = {b.id: b for b in done}
    actual_seconds: dict[int, float] = defaultdict(float)
    timers: dict[int, set] = defaultdict(set)
    if by_id:
        rows = sess.execute(
            select(TimeEntry.booking_id, TimeEntry.id, TimeSegment.started_at, TimeSegment.ended_at)
            .join(TimeSegment, TimeSegment.entry_id == TimeEntry.id)
            .where(
                TimeEntry.booking_id.in_(by_id),
                TimeEntry.state == "FINISHED",
                TimeSegment.ended_at.is_not(None),
            )
        )
        for booking_id, entry_id, began, ended in rows:
            actual_seconds[booking_id] += (ended - began).total_seconds()
            timers[booking_id].add(entry_id)
    estimated = sum(by_id[i].duration_minutes * len(timers[i]) for i in actual_seconds)
    actual = round(sum(actual_seconds.values()) / 60)
    return {
        "jobs": len(actual_seconds),
        "estimated_minutes": estimated,
        "actual_minutes": actual,
        "ratio": _ratio(actual, estimated),
    }


def _utilisation(sess, bookings, start_day: date, end_day: date, zone: ZoneInfo) -> list[dict]:
    teams = list(sess.scalars(select(Team).where(Team.active.is_(True)).order_by(Team.id)))
    hours: dict[int, dict[int, tuple[time, time]]] = defaultdict(dict)
    for w in sess.scalars(
        select(WorkingHours).where(WorkingHours.team_id.in_([t.id for t in teams]))
    ):
        hours[w.team_id][w.day_of_week] = (w.start_time, w.end_time)
    booked: dict[int, int] = defaultdict(int)
    for b in bookings:
        if b.status != "CANCELLED":
            booked[b.team_id] += b.duration_minutes
    out = []
    for team in teams:
        available = 0
        day = start_day
        while day < end_day:
            window = hours[team.id].get(day.weekday())
            if window:
                begin, finish = window_bounds(day, window, zone)
                available += int((finish - begin).total_seconds() // 60)
            day += timedelta(days=1)
        out.append(
            {
                "team_id": team.id,
                "team": team.name,
                "booked_minutes": booked[team.id],
                "available_minutes": available,
                "utilisation": _ratio(booked[team.id], available),
            }
        )
    return out


def _retention(sess, done: list[Booking]) -> dict:
    first: dict[int, datetime] = {}
    for b in sorted(done, key=lambda b: b.starts_at):
        first.setdefault(b.customer_id, b.starts_at)
    out = {"customers": len(first)}
    later: dict[int, list[datetime]] = defaultdict(list)
    if first:
        rows = sess.execute(
            select(Booking.customer_id, Booking.starts_at).where(
                Booking.customer_id.in_(first),
                Booking.status != "CANCELLED",
                Booking.starts_at > min(first.values()),
            )
        )
        for customer_id, starts_at in rows:
            if starts_at > first[customer_id]:
                later[customer_id].append(starts_at)
    for days in RETENTION_DAYS:
        kept = sum(
            1
            for customer_id, at in first.items()
            if any(s <= at + timedelta(days=days) for s in later[customer_id])
        )
        out[f"d{days}"] = _ratio(kept, len(first))
    return out


CSV_HEADER = ["section", "name", "value"]


def metrics_csv_rows(report: dict) -> list[list]:
    """``report`` as ``section,name,value`` rows."""
    conv = report["conversions"]
    acc = report["estimate_accuracy"]
    rows: list[list] = [
        ["range", "from", report["from"].isoformat()],
        ["range", "to", report["to"].isoformat()],
        ["range", "time_zone", report["time_zone"]],
    ]
    rows += [["conversions", key, conv[key]] for key in conv]
    rows += [
        ["revenue", "revenue_cents", report["revenue_cents"]],
        ["revenue", "average_order_value_cents", report["average_order_value_cents"]],
    ]
    rows += [["revenue", key, value] for key, value in report["revenue"].items()]
    rows += [["estimate_accuracy", key, acc[key]] for key in acc]
    for team in report["utilisation"]:
        for key in ("booked_minutes", "available_minutes", "utilisation"):
            rows.append([f"utilisation:{team['team']}", key, team[key]])
    rows.append(["cancellations", "cancellation_rate", report["cancellation_rate"]])
    rows += [["retention", key, value] for key, value in report["retention"].items()]
    summary = report["reviews"]
    rows += [["reviews", key, summary[key]] for key in ("responses", "nps", "average")]
    for worker in summary["by_worker"]:
        for key in ("responses", "nps", "average"):
            rows.append([f"reviews:worker:{worker['worker_id']}", key, worker[key]])
    return rows


def metrics_csv(report: dict):
    """``report`` as escaped CSV lines (header first)."""
    return csv_lines(CSV_HEADER, metrics_csv_rows(report))
