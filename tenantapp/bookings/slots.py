"""Taking a slot: serialised per team and local date, re-checked under the lock."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from shared.errors import AppError
from shared.tenancy import current_tenant
from tenantapp.bookings.models import Booking
from tenantapp.scheduling import service as scheduling
from tenantapp.scheduling.slots import BOOKING_BUFFER, candidates, is_free

ACTIVE = ("PENDING", "CONFIRMED")


class SlotUnavailable(AppError):
    status, code, title = 409, "slot_unavailable", "Slot unavailable"


def busy_bookings(team_ids, start, end, exclude=None) -> dict:
    """Busy source for the slot engine: PENDING/CONFIRMED bookings overlapping [start, end)."""
    from shared import db

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
    teams = scheduling.team_days(day, zone, exclude)
    if team_id is not None:
        teams = [t for t in teams if t.team_id == team_id]
        if not teams:
            raise SlotUnavailable("That team does not work then.")
    lock_day(tx, [t.team_id for t in teams], day)
    # re-read the calendar under the lock: a concurrent booking may have just committed
    teams = [
        t
        for t in scheduling.team_days(day, zone, exclude)
        if t.team_id in {x.team_id for x in teams}
    ]
    for team in sorted(teams, key=lambda t: t.team_id):
        if team.window is None or start not in candidates(day, team.window, zone):
            continue
        if is_free(team, start, minutes, day, zone):
            return team.team_id
    raise SlotUnavailable("That time was just taken or is not offered; pick another slot.")


def check_lead_time(start: datetime, now: datetime, minimum: timedelta) -> None:
    from shared.errors import field_error

    if start <= now:
        raise field_error("starts_at", "starts_at is in the past")
    if start - now < minimum:
        raise field_error("starts_at", "starts_at must be at least 2 hours ahead")
