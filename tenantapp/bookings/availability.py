"""Availability: the calendar minus bookings — the one place slots and conflicts are computed.

``tenantapp.scheduling`` owns the calendar (teams, working hours, blackouts); this module adds the
PENDING/CONFIRMED bookings to it and runs the pure slot engine (``tenantapp.bookings.slots``) for
the public slot finder, the staff day schedule and taking a slot (serialised per team and local
date, re-checked under the lock).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from shared import db
from shared.errors import AppError, field_error
from shared.tenancy import current_tenant
from tenantapp.bookings.models import Booking
from tenantapp.bookings.slots import (
    BOOKING_BUFFER,
    TeamDay,
    candidates,
    is_free,
    suggest,
    window_bounds,
)
from tenantapp.scheduling.service import calendar_day, day_bounds
from tenantapp.settings.service import tenant_zone

ACTIVE = ("PENDING", "CONFIRMED")


class SlotUnavailable(AppError):
    status, code, title = 409, "slot_unavailable", "Slot unavailable"


def busy_bookings(team_ids, start, end, exclude=None) -> dict:
    """PENDING/CONFIRMED bookings overlapping [start, end) (buffers included), per team."""
    stmt = select(Booking.team_id, Booking.starts_at, Booking.ends_at).where(
        Booking.team_id.in_(team_ids),
        Booking.status.in_(ACTIVE),
        Booking.starts_at < end + BOOKING_BUFFER,
        Booking.ends_at > start - BOOKING_BUFFER,
    )
    if exclude is not None:
        stmt = stmt.where(Booking.id != exclude)
    out: dict = {}
    for team_id, s, e in db.session().execute(stmt):
        out.setdefault(team_id, []).append((s, e))
    return out


def team_days(day: date, zone: ZoneInfo, exclude: int | None = None) -> list[TeamDay]:
    """Every active team's window and busy intervals for ``day`` (tenant-local).

    ``exclude``: a booking being moved must not collide with itself.
    """
    calendar = calendar_day(day, zone)
    start, end = day_bounds(day, zone)
    busy = busy_bookings([t.team_id for t in calendar], start, end, exclude)
    return [
        TeamDay(
            team_id=t.team_id,
            window=t.window,
            bookings=busy.get(t.team_id, []),
            blackouts=list(t.blackouts),
        )
        for t in calendar
    ]


def find_slots(day: date, minutes: int, window_hours=None, now: datetime | None = None) -> dict:
    """Up to three free starts on ``day`` (any free team) and a clarifier when the ask misses."""
    zone = tenant_zone()
    suggestions, clarifier = suggest(
        day, team_days(day, zone), minutes, zone, now or datetime.now(UTC), window_hours
    )
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


def schedule(day: date) -> dict:
    """Per team: window, busy intervals and the free gaps inside the window."""
    zone = tenant_zone()
    calendar = calendar_day(day, zone)
    names = {t.team_id: t.name for t in calendar}
    out = []
    for td in team_days(day, zone):
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
    return {"day": day, "time_zone": zone.key, "teams": out}


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
    teams = team_days(day, zone, exclude)
    if team_id is not None:
        teams = [t for t in teams if t.team_id == team_id]
        if not teams:
            raise SlotUnavailable("That team does not work then.")
    lock_day(tx, [t.team_id for t in teams], day)
    # re-read the calendar under the lock: a concurrent booking may have just committed
    wanted = {x.team_id for x in teams}
    teams = [t for t in team_days(day, zone, exclude) if t.team_id in wanted]
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
