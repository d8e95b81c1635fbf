"""One customer's visits for their page (SPEC §5.9 ``GET /admin/customers/{id}``): the next
upcoming ones first (soonest first, cancelled and skipped left out), then the most recent past
ones (newest first, any status, so a cancellation shows in the history). Bounded: the full list
is ``GET /admin/bookings?customer_id=``, linked from the response."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from tenantapp.bookings.crews import crews_of
from tenantapp.bookings.models import Booking
from tenantapp.customers.models import Property
from tenantapp.settings.service import tenant_zone
from tenantapp.teams.models import Team
from tenantapp.workers.models import Worker

UPCOMING_LIMIT = 10
PAST_LIMIT = 10
_GONE = ("CANCELLED", "SKIPPED")


def customer_visits(sess, customer_id: int, now: datetime | None = None) -> dict:
    """``{"bookings": [...], "bookings_more": bool, "bookings_url": str}``."""
    now = now or datetime.now(UTC)
    mine = Booking.customer_id == customer_id
    upcoming = list(
        sess.scalars(
            select(Booking)
            .where(mine, Booking.starts_at >= now, Booking.status.not_in(_GONE))
            .order_by(Booking.starts_at, Booking.id)
            .limit(UPCOMING_LIMIT + 1)
        )
    )
    past = list(
        sess.scalars(
            select(Booking)
            .where(mine, Booking.starts_at < now)
            .order_by(Booking.starts_at.desc(), Booking.id.desc())
            .limit(PAST_LIMIT + 1)
        )
    )
    more = len(upcoming) > UPCOMING_LIMIT or len(past) > PAST_LIMIT
    rows = upcoming[:UPCOMING_LIMIT] + past[:PAST_LIMIT]
    return {
        "bookings": _views(sess, rows, now),
        "bookings_more": more,
        "bookings_url": f"/v1/admin/bookings?customer_id={customer_id}",
    }


def _views(sess, rows: list[Booking], now: datetime) -> list[dict]:
    if not rows:
        return []
    zone = tenant_zone()
    crews = crews_of(sess, [b.id for b in rows])
    worker_ids = {w for crew in crews.values() for w in crew}
    workers = (
        dict(sess.execute(select(Worker.id, Worker.name).where(Worker.id.in_(worker_ids))).all())
        if worker_ids
        else {}
    )
    property_ids = {b.property_id for b in rows if b.property_id is not None}
    addresses = (
        dict(
            sess.execute(
                select(Property.id, Property.address).where(Property.id.in_(property_ids))
            ).all()
        )
        if property_ids
        else {}
    )
    team_ids = {b.team_id for b in rows if b.team_id is not None}
    teams = (
        dict(sess.execute(select(Team.id, Team.name).where(Team.id.in_(team_ids))).all())
        if team_ids
        else {}
    )
    return [
        {
            "id": b.id,
            "when": "upcoming" if b.starts_at >= now else "past",
            "starts_at": b.starts_at,
            "starts_at_local": b.starts_at.astimezone(zone),
            "duration_minutes": b.duration_minutes,
            "service_type": b.service_type,
            "status": b.status,
            "property": (
                {"id": b.property_id, "address": addresses.get(b.property_id)}
                if b.property_id is not None
                else None
            ),
            "team": {"id": b.team_id, "name": teams.get(b.team_id)} if b.team_id else None,
            "crew": [{"id": w, "name": workers.get(w)} for w in crews[b.id]],
            "plan_id": b.plan_id,
            "total_cents": b.total_cents,
        }
        for b in rows
    ]
