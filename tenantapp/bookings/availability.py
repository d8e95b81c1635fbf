"""Availability: the calendar minus bookings — the one place slots and conflicts are computed.

``tenantapp.scheduling`` owns the calendar (teams, working hours, blackouts); this module adds the
PENDING/CONFIRMED bookings to it and runs the pure slot engine (``tenantapp.bookings.slots``) for
the public slot finder, the staff day schedule and taking a slot (serialised per team and local
date, re-checked under the lock).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, func, select, union_all

from shared import db
from shared.errors import AppError, field_error
from shared.runtime import current_runtime
from shared.tenancy import current_tenant
from tenantapp.bookings.models import Booking
from tenantapp.bookings.slots import (
    BOOKING_BUFFER,
    TeamDay,
    candidates,
    is_free,
    stable_until,
    suggest,
    window_bounds,
)
from tenantapp.scheduling.service import (
    TeamCalendar,
    cached_calendar,
    calendar_from_rows,
    calendar_params,
    calendar_parts,
    calendar_row,
    day_bounds,
    remember_calendar,
    utc_margin_bounds,
)

ACTIVE = ("PENDING", "CONFIRMED")
STEP_EPSILON = timedelta(microseconds=1)  # the last instant of a job, to find its last local date


class SlotUnavailable(AppError):
    status, code, title = 409, "slot_unavailable", "Slot unavailable"


@lru_cache(maxsize=4)
def _day_statement(excluding: bool, with_calendar: bool):
    """The calendar (unless cached) plus PENDING/CONFIRMED bookings near a day, built once."""
    bk = Booking.__table__
    bookings = select(
        *calendar_row("booking", team_id=bk.c.team_id, s=bk.c.starts_at, e=bk.c.ends_at)
    ).where(
        bk.c.status.in_(ACTIVE),
        bk.c.starts_at < bindparam("busy_hi"),
        bk.c.ends_at > bindparam("busy_lo"),
    )
    if excluding:
        bookings = bookings.where(bk.c.id != bindparam("exclude"))
    return union_all(*calendar_parts(), bookings) if with_calendar else bookings


def _day_params(day: date, exclude: int | None) -> dict:
    lo, hi = utc_margin_bounds(day)  # cut exactly once the zone is known
    params = calendar_params(day)
    params.update(busy_lo=lo - BOOKING_BUFFER, busy_hi=hi + BOOKING_BUFFER, exclude=exclude)
    return params


def _read_only_rows(stmt, params: dict) -> list:
    """Rows of one read-only statement on a connection of its own, in autocommit.

    One statement sees one snapshot, so it needs no transaction: no BEGIN and no ROLLBACK round
    trip, and no session to build. The request's session (if any) is left as it was.
    """
    tenant = current_tenant()
    engine = current_runtime().tenant_engine(tenant.schema_name, tenant.shard)
    with engine.connect() as conn:
        conn.info.setdefault("tenants", set()).add(tenant.schema_name)  # as db.note_tenant does
        return conn.execution_options(isolation_level="AUTOCOMMIT").execute(stmt, params).all()


def read_day(
    day: date, exclude: int | None = None, *, read_only: bool = False
) -> tuple[ZoneInfo, list[TeamCalendar], list[TeamDay]]:
    """The zone, calendar and every active team's busy day for ``day`` — one SQL round trip.

    ``exclude``: a booking being moved must not collide with itself. ``read_only``: the caller
    writes nothing after this read in the current transaction (the public slot finder, the staff
    schedule), so it may run outside one and may take the calendar from the per-version cache
    (bookings are always read).
    """
    hit = cached_calendar(day) if read_only else None
    stmt = _day_statement(exclude is not None, hit is None)
    params = _day_params(day, exclude)
    if read_only:
        rows = _read_only_rows(stmt, params)
    else:
        rows = db.session().connection().execute(stmt, params).all()
    if hit is None:
        zone, calendar = calendar_from_rows(day, rows)
        if read_only:
            remember_calendar(day, zone, calendar)
    else:
        zone, calendar = hit
    start, end = day_bounds(day, zone)
    busy: dict = {}
    for _kind, team_id, _, _, s, e, _ in sorted(
        (r for r in rows if r[0] == "booking"), key=lambda r: (r[4], r[5])
    ):
        # PENDING/CONFIRMED bookings overlapping [start, end), buffers included
        if s < end + BOOKING_BUFFER and e > start - BOOKING_BUFFER:
            busy.setdefault(team_id, []).append((s, e))
    teams = [
        TeamDay(
            team_id=t.team_id,
            window=t.window,
            bookings=busy.get(t.team_id, []),
            blackouts=list(t.blackouts),
        )
        for t in calendar
    ]
    return zone, calendar, teams


def find_slots(day: date, minutes: int, window_hours=None, now: datetime | None = None) -> dict:
    """Up to three free starts on ``day`` (any free team) and a clarifier when the ask misses.

    ``stable_until``: until when the clock alone cannot change the answer (the slot cache keeps
    it that long; it is not part of the response).
    """
    zone, _, teams = read_day(day, read_only=True)
    now = now or datetime.now(UTC)
    suggestions, clarifier = suggest(day, teams, minutes, zone, now, window_hours)
    return {
        "date": day,
        "duration_minutes": minutes,
        "suggestions": [
            {
                "starts_at": s.starts_at,
                "starts_at_local": s.starts_at.astimezone(zone),
                "ends_at": s.ends_at,
                "team_id": s.team_id,
            }
            for s in suggestions
        ],
        "clarifier": clarifier,
        "stable_until": stable_until(day, teams, zone, now),
    }


def _free_gaps(day: date, td: TeamDay, zone: ZoneInfo) -> tuple[dict | None, list[dict]]:
    if not td.window:
        return None, []
    ws, we = window_bounds(day, td.window, zone)
    free = []
    cursor = ws
    for bs, be in sorted(td.busy()):
        if bs > cursor:
            free.append({"starts_at": cursor, "ends_at": min(bs, we)})
        cursor = max(cursor, be)
        if cursor >= we:
            break
    if cursor < we:
        free.append({"starts_at": cursor, "ends_at": we})
    return {"start": ws, "end": we}, [f for f in free if f["starts_at"] < f["ends_at"]]


def _unassigned(day: date, zone: ZoneInfo) -> list[dict]:
    """Live bookings of ``day`` without a team: plan visits in conflict (SPEC §5.10)."""
    start, end = day_bounds(day, zone)
    rows = db.session().execute(
        select(
            Booking.id, Booking.plan_id, Booking.starts_at, Booking.ends_at, Booking.conflict_reason
        )
        .where(
            Booking.team_id.is_(None),
            Booking.status.in_(ACTIVE),
            Booking.starts_at >= start,
            Booking.starts_at < end,
        )
        .order_by(Booking.starts_at, Booking.id)
    )
    return [
        {"booking_id": i, "plan_id": p, "starts_at": s, "ends_at": e, "conflict_reason": r}
        for i, p, s, e, r in rows
    ]


def schedule(day: date) -> dict:
    """Per team: window, busy intervals and the free gaps inside the window; and the day's
    visits waiting for a team (``unassigned``)."""
    zone, calendar, teams = read_day(day, read_only=True)
    names = {t.team_id: t.name for t in calendar}
    out = []
    for td in teams:
        window, free = _free_gaps(day, td, zone)
        out.append(
            {
                "team_id": td.team_id,
                "name": names[td.team_id],
                "window": window,
                "bookings": [{"starts_at": s, "ends_at": e} for s, e in td.bookings],
                "blackouts": [{"starts_at": s, "ends_at": e} for s, e in td.blackouts],
                "free": free,
            }
        )
    return {"day": day, "time_zone": zone.key, "teams": out, "unassigned": _unassigned(day, zone)}


def lock_day(tx, team_ids, day: date) -> None:
    """Serialise slot taking per (tenant, team, local date); team order avoids deadlocks."""
    schema = current_tenant().schema_name
    for team_id in sorted(team_ids):
        key = f"slot:{schema}:{team_id}:{day.isoformat()}"
        tx.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(key, 0))))


def take_slot(
    tx,
    start: datetime,
    minutes: int,
    zone: ZoneInfo,
    *,
    team_id: int | None = None,
    exclude: int | None = None,
) -> int:
    """Lock the day, re-check and return the first free team (by id) for ``start``.

    The start must be one of the 30-minute candidates of a team's window; taken → 409.
    """
    day = start.astimezone(zone).date()
    teams = read_day(day, exclude)[2]
    if team_id is not None:
        teams = [t for t in teams if t.team_id == team_id]
        if not teams:
            raise SlotUnavailable("That team does not work then.")
    lock_day(tx, [t.team_id for t in teams], day)
    # re-read the calendar under the lock: a concurrent booking may have just committed
    wanted = {x.team_id for x in teams}
    teams = [t for t in read_day(day, exclude)[2] if t.team_id in wanted]
    for team in sorted(teams, key=lambda t: t.team_id):
        if team.window is None or start not in candidates(day, team.window, zone):
            continue
        if is_free(team, start, minutes, day, zone):
            return team.team_id
    raise SlotUnavailable("That time was just taken or is not offered; pick another slot.")


def check_lead_time(start: datetime, now: datetime, minimum: timedelta) -> None:
    """422 on ``starts_at`` when the start is past or closer than ``minimum``."""
    if start <= now:
        raise field_error("starts_at", "starts_at is in the past")
    if start - now < minimum:
        raise field_error("starts_at", "starts_at must be at least 2 hours ahead")


def take_staff_slot(
    tx,
    start: datetime,
    minutes: int,
    zone: ZoneInfo,
    *,
    team_id: int | None = None,
    override: bool = False,
) -> int:
    """The team for a staff-made booking: ``team_id`` when given, else the first free team by
    id; 409 ``slot_unavailable`` when none is free.

    Like ``take_slot`` (day lock per team, re-read under it, 30-minute buffers around the team's
    bookings) but any start minute inside the working window is accepted. With ``override`` the
    working window and blackouts are ignored, never another booking of the team; a job that runs
    past midnight is checked (and locked) on both local dates.
    """
    end = start + timedelta(minutes=minutes)
    days = sorted({start.astimezone(zone).date(), (end - STEP_EPSILON).astimezone(zone).date()})
    teams = read_day(days[0])[2]
    if team_id is not None:
        teams = [t for t in teams if t.team_id == team_id]
        if not teams:
            raise field_error("team_id", "No such active team.")
    wanted = sorted(t.team_id for t in teams)
    for day in days:
        lock_day(tx, wanted, day)
    busy: dict[int, list] = {t: [] for t in wanted}
    windows: dict[int, TeamDay] = {}
    for day in days:  # re-read under the locks: a concurrent booking may have just committed
        for team in read_day(day)[2]:
            if team.team_id in busy:
                busy[team.team_id] += team.bookings
                windows.setdefault(team.team_id, team)
    for tid in wanted:
        clear = all(
            not (start < e + BOOKING_BUFFER and end > s - BOOKING_BUFFER) for s, e in busy[tid]
        )
        if not clear:
            continue
        if override or is_free(windows[tid], start, minutes, days[0], zone):
            return tid
    if team_id is not None:
        raise SlotUnavailable("That team is busy or not working then.")
    raise SlotUnavailable("No team is free then.")
