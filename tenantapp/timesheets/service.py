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

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import BigInteger, Float, and_, cast, extract, func, or_, select, true, union

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


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


def _us(instant: datetime) -> int:
    """An instant as whole microseconds since the epoch: a month's thousands of spans are
    compared as integers (exactly), not as aware datetimes (each comparison asks the zones)."""
    return (instant - EPOCH) // MICROSECOND


def _split(a: int, b: int, marks: list[int]) -> list[tuple[int, float]]:
    """``(day index, seconds)`` of ``[a, b)`` (microseconds, see ``_us``) within each day
    (``marks``: the local midnights in microseconds), from the day ``a`` falls in (bisection)
    to the one ``b`` ends in. Seconds as ``timedelta.total_seconds`` gives them."""
    first = bisect_right(marks, a) - 1
    if 0 <= first < len(marks) - 1 and b <= marks[first + 1]:  # within one day: most spans
        return [(first, (b - a) / 1_000_000)] if b > a else []
    spans = []
    for i in range(max(first, 0), len(marks) - 1):
        if marks[i] >= b:
            break
        lo, hi = max(a, marks[i]), min(b, marks[i + 1])
        if hi > lo:
            spans.append((i, (hi - lo) / 1_000_000))
    return spans


def _day_of(instant: int, marks: list[int]) -> int | None:
    i = bisect_right(marks, instant) - 1
    return i if 0 <= i < len(marks) - 1 else None


def _crewed(lo: datetime, hi: datetime, wanted: frozenset[int] | None):
    """The ids of the bookings overlapping ``[lo, hi)`` with a crew (with one of ``wanted`` in
    it), as a subquery: a month's hundreds of ids are not sent back as an IN list."""
    stmt = (
        select(BookingWorker.booking_id)
        .join(Booking, Booking.id == BookingWorker.booking_id)
        .where(Booking.starts_at < hi, Booking.ends_at > lo, Booking.status != "CANCELLED")
    )
    if wanted is not None:
        stmt = stmt.where(BookingWorker.worker_id.in_(wanted))
    return stmt


def _us_of(column):
    """A timestamptz column as whole microseconds since the epoch, computed by Postgres: a month's
    thousands of instants arrive as integers instead of being parsed into aware datetimes."""
    return cast(extract("epoch", column) * 1_000_000, BigInteger)


@dataclass(frozen=True)
class _Job:
    """What a timesheet reads of a booking (not the whole row: its JSON columns cost)."""

    id: int
    starts_us: int
    ends_us: int
    status: str
    labour: str | None  # the estimate's labor_cents as JSON text, when it has one
    estimate_total_cents: int


def _crews(
    conn, lo: datetime, hi: datetime, wanted: frozenset[int] | None
) -> tuple[dict[int, set[int]], dict[int, _Job]]:
    """booking id → its whole crew (``booking_workers``), for the bookings overlapping ``[lo, hi)``
    (with one of ``wanted`` in their crew), and those bookings — read together, in one query."""
    overlap = and_(Booking.starts_at < hi, Booking.ends_at > lo, Booking.status != "CANCELLED")
    crews: dict[int, set[int]] = defaultdict(set)
    jobs: dict[int, _Job] = {}
    for booking_id, wid, *job in conn.execute(
        select(
            BookingWorker.booking_id,
            BookingWorker.worker_id,
            _us_of(Booking.starts_at),
            _us_of(Booking.ends_at),
            Booking.status,
            Booking.estimate["labor_cents"].astext,
            Booking.estimate_total_cents,
        )
        .join(Booking, Booking.id == BookingWorker.booking_id)
        .where(overlap)
        .where(true() if wanted is None else Booking.id.in_(_crewed(lo, hi, wanted)))
    ).all():  # one fetchall: iterating the result fetches row by row
        crews[booking_id].add(wid)
        if booking_id not in jobs:
            jobs[booking_id] = _Job(booking_id, *job)
    return crews, jobs


def _labour_cents(booking: _Job) -> int:
    """The estimate's labour when it is a whole number, else the estimate's total."""
    try:
        return int(booking.labour)  # JSON text: "12000" is, "12000.5", "true" or null are not
    except (TypeError, ValueError):
        return booking.estimate_total_cents


def _sole(crews: dict[int, set[int]], booking_id: int) -> int | None:
    """The worker of a crew of one: a timer run without naming a worker is theirs."""
    crew = crews.get(booking_id) or ()
    return next(iter(crew)) if len(crew) == 1 else None


def _wanted(worker_id: int | None, only: Collection[int] | None) -> frozenset[int] | None:
    if worker_id is not None:
        return frozenset({worker_id}) if only is None or worker_id in only else frozenset()
    return None if only is None else frozenset(only)


def _window(start: date, end: date) -> tuple:
    zone = tenant_zone()
    edges = _day_starts(start, end, zone)
    return zone, edges, edges[0], edges[-1]


def workers_with_time(start: date, end: date, now: datetime | None = None) -> list:
    """The workers ``timesheet(start, end, None)`` lists, as rows ``(id, name, active)`` in its
    order (name, then id), read without computing their days: the console pages a period's
    workers, computes only the page's, and offers the same workers in its filter. A worker has
    time when they are in the crew of a booking overlapping the period that is not cancelled, or
    when a clocked segment of theirs overlaps it."""
    now = now or datetime.now(UTC)
    _zone, _edges, lo, hi = _window(start, end)
    crewed = (
        select(BookingWorker.worker_id)
        .join(Booking, Booking.id == BookingWorker.booking_id)
        .where(Booking.starts_at < hi, Booking.ends_at > lo, Booking.status != "CANCELLED")
    )
    ended = func.coalesce(TimeSegment.ended_at, now)
    clocked = (
        select(TimeEntry.worker_id)
        .join(TimeSegment, TimeSegment.entry_id == TimeEntry.id)
        .where(
            TimeEntry.worker_id.is_not(None),
            TimeSegment.started_at < hi,
            ended > lo,
            ended > TimeSegment.started_at,
        )
    )
    rows = (
        db.session()
        .connection()
        .execute(
            select(Worker.id, Worker.name, Worker.active).where(
                Worker.id.in_(union(crewed, clocked))
            )
        )
        .all()
    )
    # Python's order, as the timesheet's (Postgres would sort names by its collation).
    return sorted(rows, key=lambda row: (row.name, row.id))


def timesheet(
    start: date,
    end: date,
    worker_id: int | None,
    now: datetime | None = None,
    only: Collection[int] | None = None,
) -> dict:
    """Rows per (worker, local day) with activity, and each worker's totals; ``only`` limits them
    to those workers (a page of ``workers_with_time``). A percent worker's share still counts the
    whole crew's clocked time."""
    now = now or datetime.now(UTC)
    zone, edges, lo, hi = _window(start, end)
    wanted = _wanted(worker_id, only)
    # Core execution on the session's connection: these selects of columns need none of the ORM's
    # row processing (a month is thousands of rows).
    conn = db.session().connection()
    crews, bookings = _crews(conn, lo, hi, wanted)
    crewed = _crewed(lo, hi, wanted)
    now_us = _us(now)
    # Clocked segments in the window (entries of these workers, or of the booking's sole assignee).
    segments = conn.execute(
        select(
            TimeEntry.booking_id,
            TimeEntry.worker_id,
            _us_of(TimeSegment.started_at),
            _us_of(TimeSegment.ended_at),
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
        if wid is None or (wanted is not None and wid not in wanted):
            continue
        entries.append((booking_id, wid, a, now_us if b is None else b))
        extra_ids.add(wid)
    # Crew clocked seconds per booking and worker (all time), for the percent share: summed by
    # Postgres (a worker's entry without a worker is the sole assignee's, resolved here).
    per_booking: dict[int, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    if bookings:
        clocked = func.sum(
            extract("epoch", func.coalesce(TimeSegment.ended_at, now) - TimeSegment.started_at)
        )
        for booking_id, wid, seconds in conn.execute(
            select(TimeEntry.booking_id, TimeEntry.worker_id, cast(clocked, Float))
            .join(TimeSegment, TimeSegment.entry_id == TimeEntry.id)
            .where(TimeEntry.booking_id.in_(crewed))
            .group_by(TimeEntry.booking_id, TimeEntry.worker_id)
        ).all():
            if wid is None:
                wid = _sole(crews, booking_id)
            if wid is not None:
                per_booking[booking_id][wid] += seconds

    worker_ids = {w for ws in crews.values() for w in ws} | extra_ids
    if wanted is not None:
        worker_ids &= wanted
    workers = (
        {
            w.id: w
            for w in conn.execute(
                select(
                    Worker.id,
                    Worker.name,
                    Worker.pay_type,
                    Worker.hourly_rate_cents,
                    Worker.pay_flat_cents,
                    Worker.pay_percent,
                ).where(Worker.id.in_(worker_ids))
            ).all()
        }
        if worker_ids
        else {}
    )
    days: dict[tuple[int, int], DayRow] = defaultdict(DayRow)
    marks = [_us(edge) for edge in edges]
    for booking_id, ws in crews.items():
        booking = bookings[booking_id]
        starts, ends = booking.starts_us, booking.ends_us
        start_day = _day_of(starts, marks)
        spans = _split(starts, ends, marks)  # the same for everyone in the crew
        done = booking.status == "DONE"
        for wid in ws:
            worker = workers.get(wid)
            if worker is None:
                continue
            for i, seconds in spans:
                days[(wid, i)].scheduled_s += seconds
            if start_day is None:
                continue
            row = days[(wid, start_day)]
            row.jobs += 1
            if done and worker.pay_type != "hourly":  # hourly pay is clocked time, below
                row.pay += _job_pay(worker, booking, ws, per_booking)
    for _booking_id, wid, a, b in entries:
        if wid not in workers:
            continue
        for i, seconds in _split(a, b, marks):
            days[(wid, i)].clocked_s += seconds
            if workers[wid].pay_type == "hourly":
                days[(wid, i)].pay += (
                    Decimal(workers[wid].hourly_rate_cents) * Decimal(seconds) / Decimal(3600)
                )
    return _report(start, end, zone, edges, days, workers)


def _job_pay(worker, booking: _Job, crew: set[int], clocked: dict) -> Decimal:
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
    dates = [start + timedelta(days=i) for i in range(len(edges) - 1)]
    hours = [round((edges[i + 1] - edges[i]).total_seconds() / 3600) for i in range(len(dates))]
    for (wid, i), row in sorted(days.items(), key=lambda kv: (workers[kv[0][0]].name, kv[0])):
        worker = workers[wid]
        item = {
            "worker_id": wid,
            "worker_name": worker.name,
            "date": dates[i],
            "day_hours": hours[i],
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
