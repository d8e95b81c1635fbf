"""What a worker may see: bookings whose crew they are in, or bookings of their team with no
crew yet, in PENDING, CONFIRMED or DONE. Anything else is 404 — never 403, so ids reveal
nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import g
from sqlalchemy import and_, exists, or_, select, tuple_

from shared import db
from shared.errors import Conflict, NotFound
from shared.pagination import decode_cursor, encode_cursor
from tenantapp.bookings import texts
from tenantapp.bookings.crews import crew_of
from tenantapp.bookings.models import Booking, BookingWorker
from tenantapp.customers.models import Customer, Property
from tenantapp.leads.models import Lead
from tenantapp.settings.models import TenantSettings
from tenantapp.workers.models import Worker

VISIBLE_STATUSES = ("PENDING", "CONFIRMED", "DONE")
ON_MY_WAY_STATUSES = ("PENDING", "CONFIRMED")
UPCOMING, PAST = 0, 1


def _now() -> datetime:
    return datetime.now(UTC)


def visible_to(worker_id: int, team_id: int | None):
    """The SQL condition for the bookings a worker may see."""
    crew = BookingWorker.booking_id == Booking.id
    mine = exists().where(crew, BookingWorker.worker_id == worker_id)
    if team_id is not None:
        mine = or_(mine, and_(Booking.team_id == team_id, ~exists().where(crew)))
    return and_(Booking.status.in_(VISIBLE_STATUSES), mine)


def my_worker_id() -> int:
    """The worker acting in this request."""
    return int(g.principal.user_id)


def _me() -> tuple[int, int | None]:
    principal = g.principal
    return int(principal.user_id), principal.team_id


def visible_job(booking_id: int) -> Booking:
    """The booking if the current worker may see it, else 404."""
    booking = db.session().scalar(
        select(Booking).where(Booking.id == booking_id, visible_to(*_me()))
    )
    if booking is None:
        raise NotFound("No such job.")
    return booking


def list_jobs(limit: int, cursor: str | None, now: datetime | None = None) -> dict:
    """Upcoming jobs first (start ≥ now, soonest first), then past ones (most recent first).

    The cursor carries (part, starts_at, id); ``now`` is re-read per page, so a job that starts
    while someone pages may move from the upcoming part to the past part between pages.
    """
    now = now or _now()
    after = decode_cursor(cursor, int, datetime.fromisoformat, int)
    sess = db.session()
    base = select(Booking).where(visible_to(*_me()))
    rows: list[tuple[int, Booking]] = []
    if after is None or after[0] == UPCOMING:
        stmt = base.where(Booking.starts_at >= now).order_by(Booking.starts_at, Booking.id)
        if after:
            stmt = stmt.where(tuple_(Booking.starts_at, Booking.id) > tuple_(after[1], after[2]))
        rows += [(UPCOMING, b) for b in sess.scalars(stmt.limit(limit + 1))]
    if len(rows) <= limit:
        stmt = base.where(Booking.starts_at < now).order_by(
            Booking.starts_at.desc(), Booking.id.desc()
        )
        if after and after[0] == PAST:
            stmt = stmt.where(tuple_(Booking.starts_at, Booking.id) < tuple_(after[1], after[2]))
        rows += [(PAST, b) for b in sess.scalars(stmt.limit(limit + 1 - len(rows)))]
    items = rows[:limit]
    next_cursor = None
    if len(rows) > limit and items:
        part, last = items[-1]
        next_cursor = encode_cursor([part, last.starts_at.isoformat(), last.id])
    return {"items": [b for _, b in items], "next_cursor": next_cursor}


def view(booking: Booking) -> dict:
    """A job as a worker sees it: when, where and what — no prices, risk or deposit."""
    sess = db.session()
    zone = ZoneInfo(sess.get(TenantSettings, 1).time_zone)
    customer = sess.get(Customer, booking.customer_id)
    lead = sess.get(Lead, booking.lead_id) if booking.lead_id is not None else None
    place = sess.get(Property, booking.property_id) if booking.property_id else None
    where = place or lead  # the property; a booking made before t0012 keeps its lead's address
    crew = crew_of(sess, booking.id)
    worker_id, _ = _me()
    return {
        "id": booking.id,
        "status": booking.status,
        "service_type": booking.service_type,
        "starts_at": booking.starts_at,
        "starts_at_local": booking.starts_at.astimezone(zone),
        "ends_at": booking.ends_at,
        "duration_minutes": booking.duration_minutes,
        "team_id": booking.team_id,
        "worker_id": crew[0] if crew else None,
        "worker_ids": crew,
        "assigned_to_me": worker_id in crew,
        "notes": booking.notes,
        "customer_name": customer.name if customer else (lead.name if lead else None),
        "customer_phone": (customer.phone if customer else None) or (lead.phone if lead else None),
        "address": where.address if where else None,
        "postal_code": where.postal_code if where else None,
        "access_notes": where.access_notes if where else None,
        "key_notes": place.key_notes if place else None,
        "parking": where.parking if where else None,
        "pets": where.pets if where else None,
        "allergies": where.allergies if where else None,
    }


def on_my_way(booking_id: int, eta_minutes: int | None) -> dict:
    """The worker's "on my way" text to the customer of one of their open jobs."""
    with db.transaction() as tx:
        booking = tx.scalar(
            select(Booking).where(Booking.id == booking_id, visible_to(*_me())).with_for_update()
        )
        if booking is None:
            raise NotFound("No such job.")
        if booking.status not in ON_MY_WAY_STATUSES:
            raise Conflict("This job is closed.", code="invalid_transition")
        worker_row = tx.get(Worker, int(g.principal.user_id))
        message = texts.on_my_way(tx, booking, worker_row, eta_minutes)
        out = {
            "booking_id": booking.id,
            "status": message.status,
            "body": message.body,
            "segments": message.segments,
            "created_at": message.created_at,
        }
    return out
