"""Timesheets (SPEC §5.9): per worker and tenant-local day — scheduled minutes, clocked
minutes, jobs, pay and tips.

- Days are the tenant's local days: ``[local midnight, next local midnight)``, so a DST day has
  23 or 25 hours; a booking or a clocked segment that crosses midnight is split between days.
- Scheduled: the worker's bookings (their crew, or the single assignee of older rows), not
  cancelled. Jobs: those bookings, counted on the local day they start.
- Clocked: the worker's time segments (a running one counts up to now).
- Pay by the worker's ``pay_type``: ``hourly`` = ``hourly_rate_cents`` × clocked time that day;
  ``flat`` = ``pay_flat_cents`` per DONE job; ``percent`` = ``pay_percent`` % of each DONE job's
  pre-discount labour × the worker's share of the crew's clocked minutes on it (an equal share
  when nobody clocked). Per-job pay lands on the job's start day. Rounded half-up per day.
- Tips: 0 until payments record tips (the column is there so payroll files keep their shape).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import and_, or_, select

from shared import db
from shared.csvsafe import csv_lines
from shared.timezones import NonexistentLocalTime, localize
from tenantapp.bookings.models import Booking, BookingWorker
from tenantapp.settings.service import tenant_zone
from tenantapp.timetracking.models import TimeEntry, TimeSegment
from tenantapp.workers.models import Worker

MAX_DAYS = 93  # a quarter: payroll periods are weeks to months
CSV_HEADER = [
    "worker_id",
    "worker_name",
    "date",
    "day_hours",
    "scheduled_minutes",
    "clocked_minutes",
    "jobs",
    "pay_type",
    "pay_cents",
    "tips_cents",
]


@dataclass
class DayRow:
    scheduled_s: float = 0.0
    clocked_s: float = 0.0
    jobs: int = 0
    pay: Decimal = field(default_factory=Decimal)


def _day_starts(start: date, end: date, zone) -> list[datetime]:
    """Local midnights (as UTC instants) of ``start`` .. ``end`` inclusive."""
    return [_local_midnight(start + timedelta(days=n), zone) for n in range((end - start).days + 1)]


def _local_midnight(day: date, zone) -> datetime:
    """The instant the local day begins (01:00 where DST skips midnight itself)."""
    try:
        return localize(datetime.combine(day, time(0)), zone).astimezone(UTC)
    except NonexistentLocalTime:
        return localize(datetime.combine(day, time(1)), zone).astimezone(UTC)


def _split(a: datetime, b: datetime, edges: list[datetime]):
    """Yield ``(day index, seconds)`` of ``[a, b)`` within each day."""
    for i in range(len(edges) - 1):
        lo, hi = max(a, edges[i]), min(b, edges[i + 1])
        if hi > lo:
            yield i, (hi - lo).total_seconds()


def _day_of(instant: datetime, edges: list[datetime]) -> int | None:
    for i in range(len(edges) - 1):
        if edges[i] <= instant < edges[i + 1]:
            return i
    return None


def _crews(sess, lo: datetime, hi: datetime, worker_id: int | None) -> dict[int, set[int]]:
    """booking id → its workers (``booking_workers``), for bookings overlapping ``[lo, hi)``
    (rows from before crews became crews of one in t0012)."""
    overlap = and_(Booking.starts_at < hi, Booking.ends_at > lo, Booking.status != "CANCELLED")
    crews: dict[int, set[int]] = defaultdict(set)
    for booking_id, wid in sess.execute(
        select(BookingWorker.booking_id, BookingWorker.worker_id)
        .join(Booking, Booking.id == BookingWorker.booking_id)
        .where(overlap)
    ):
        crews[booking_id].add(wid)
    if worker_id is not None:
        crews = {b: ws for b, ws in crews.items() if worker_id in ws}
    return crews


def _labour_cents(booking: Booking) -> int:
    estimate = booking.estimate or {}
    labour = estimate.get("labor_cents")
    return int(labour) if isinstance(labour, int) else booking.estimate_total_cents


def _sole(crews: dict[int, set[int]], booking_id: int) -> int | None:
    """The worker of a crew of one: a timer run without naming a worker is theirs."""
    crew = crews.get(booking_id) or ()
    return next(iter(crew)) if len(crew) == 1 else None


def timesheet(start: date, end: date, worker_id: int | None, now: datetime | None = None) -> dict:
    """Rows per (worker, local day) with activity, and each worker's totals."""
    now = now or datetime.now(UTC)
    zone = tenant_zone()
    edges = _day_starts(start, end, zone)
    lo, hi = edges[0], edges[-1]
    sess = db.session()
    crews = _crews(sess, lo, hi, worker_id)
    bookings = (
        {b.id: b for b in sess.scalars(select(Booking).where(Booking.id.in_(crews)))}
        if crews
        else {}
    )
    # Clocked segments in the window (entries of this worker, or of the booking's sole assignee).
    segments = sess.execute(
        select(
            TimeEntry.booking_id, TimeEntry.worker_id, TimeSegment.started_at, TimeSegment.ended_at
        )
        .join(TimeSegment, TimeSegment.entry_id == TimeEntry.id)
        .where(
            TimeSegment.started_at < hi,
            or_(TimeSegment.ended_at.is_(None), TimeSegment.ended_at > lo),
        )
    ).all()
    entries = []
    extra_ids = set()
    for booking_id, wid, a, b in segments:
        if wid is None:
            wid = _sole(crews, booking_id)
        if wid is None or (worker_id is not None and wid != worker_id):
            continue
        entries.append((booking_id, wid, a, b or now))
        extra_ids.add(wid)
    # Crew clocked seconds per booking (all time), for the percent share.
    per_booking: dict[int, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    if bookings:
        for booking_id, wid, a, b in sess.execute(
            select(
                TimeEntry.booking_id,
                TimeEntry.worker_id,
                TimeSegment.started_at,
                TimeSegment.ended_at,
            )
            .join(TimeSegment, TimeSegment.entry_id == TimeEntry.id)
            .where(TimeEntry.booking_id.in_(bookings))
        ):
            if wid is None:
                wid = _sole(crews, booking_id)
            if wid is not None:
                per_booking[booking_id][wid] += ((b or now) - a).total_seconds()

    worker_ids = {w for ws in crews.values() for w in ws} | extra_ids
    if worker_id is not None:
        worker_ids &= {worker_id}
    workers = (
        {w.id: w for w in sess.scalars(select(Worker).where(Worker.id.in_(worker_ids)))}
        if worker_ids
        else {}
    )
    days: dict[tuple[int, int], DayRow] = defaultdict(DayRow)
    for booking_id, ws in crews.items():
        booking = bookings[booking_id]
        start_day = _day_of(booking.starts_at, edges)
        for wid in ws:
            if wid not in workers:
                continue
            for i, seconds in _split(booking.starts_at, booking.ends_at, edges):
                days[(wid, i)].scheduled_s += seconds
            if start_day is None:
                continue
            days[(wid, start_day)].jobs += 1
            if booking.status == "DONE":
                days[(wid, start_day)].pay += _job_pay(workers[wid], booking, ws, per_booking)
    for _booking_id, wid, a, b in entries:
        if wid not in workers:
            continue
        for i, seconds in _split(a, b, edges):
            days[(wid, i)].clocked_s += seconds
            if workers[wid].pay_type == "hourly":
                days[(wid, i)].pay += (
                    Decimal(workers[wid].hourly_rate_cents) * Decimal(seconds) / Decimal(3600)
                )
    return _report(start, end, zone, edges, days, workers)


def _job_pay(worker: Worker, booking: Booking, crew: set[int], clocked: dict) -> Decimal:
    if worker.pay_type == "flat":
        return Decimal(worker.pay_flat_cents)
    if worker.pay_type != "percent":
        return Decimal(0)
    times = clocked.get(booking.id, {})
    total = sum(times.get(w, 0.0) for w in crew)
    share = Decimal(times.get(worker.id, 0.0)) / Decimal(total) if total else Decimal(1) / len(crew)
    return Decimal(_labour_cents(booking)) * Decimal(worker.pay_percent) / 100 * share


def _cents(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _report(start, end, zone, edges, days, workers) -> dict:
    items = []
    totals: dict[int, dict] = {}
    for (wid, i), row in sorted(days.items(), key=lambda kv: (workers[kv[0][0]].name, kv[0])):
        worker = workers[wid]
        item = {
            "worker_id": wid,
            "worker_name": worker.name,
            "date": start + timedelta(days=i),
            "day_hours": round((edges[i + 1] - edges[i]).total_seconds() / 3600),
            "scheduled_minutes": round(row.scheduled_s / 60),
            "clocked_minutes": round(row.clocked_s / 60),
            "jobs": row.jobs,
            "pay_type": worker.pay_type,
            "pay_cents": _cents(row.pay),
            "tips_cents": 0,
        }
        items.append(item)
        total = totals.setdefault(
            wid,
            {
                "worker_id": wid,
                "worker_name": worker.name,
                "pay_type": worker.pay_type,
                "scheduled_minutes": 0,
                "clocked_minutes": 0,
                "jobs": 0,
                "pay_cents": 0,
                "tips_cents": 0,
            },
        )
        for key in ("scheduled_minutes", "clocked_minutes", "jobs", "pay_cents", "tips_cents"):
            total[key] += item[key]
    return {
        "from": start,
        "to": end,
        "time_zone": str(zone),
        "items": items,
        "totals": list(totals.values()),
    }


def timesheet_csv(report: dict):
    """The rows as CSV text lines (header first), formula-safe."""
    return csv_lines(CSV_HEADER, ([item[k] for k in CSV_HEADER] for item in report["items"]))
