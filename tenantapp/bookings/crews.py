"""Crews: the workers of a booking (1..6, ``booking_workers``) and the rule that a worker is never
in two overlapping PENDING/CONFIRMED bookings, whatever their teams (SPEC §5.9).

Checking a worker is serialised per worker (``pg_advisory_xact_lock``), taken after any team-day
lock of the same transaction (``availability.lock_day``), always in worker-id order, so two
requests that put one worker on overlapping bookings cannot both pass.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select

from shared import db
from shared.errors import Conflict, NotFound, field_error
from shared.tenancy import current_tenant
from tenantapp.audit.service import record
from tenantapp.bookings.models import Booking, BookingWorker
from tenantapp.workers.models import Worker

MAX_CREW = 6
LIVE = ("PENDING", "CONFIRMED")


def crews_of(sess, booking_ids) -> dict[int, list[int]]:
    """Each booking's worker ids, in the order they were put on it."""
    out: dict[int, list[int]] = {b: [] for b in booking_ids}
    if not out:
        return out
    rows = sess.execute(
        select(BookingWorker.booking_id, BookingWorker.worker_id)
        .where(BookingWorker.booking_id.in_(list(out)))
        .order_by(BookingWorker.created_at, BookingWorker.worker_id)
    )
    for booking_id, worker_id in rows:
        out[booking_id].append(worker_id)
    return out


def crew_of(sess, booking_id: int) -> list[int]:
    return crews_of(sess, [booking_id])[booking_id]


def crew_size(booking: Booking, crew: list[int]) -> int:
    """Workers on the job: the crew, else the estimator's team size (the default), else 1."""
    if crew:
        return len(crew)
    team_size = (booking.estimate or {}).get("team_size")
    return max(1, min(MAX_CREW, int(team_size))) if team_size else 1


def check_workers(tx, worker_ids: list[int], field: str = "worker_ids") -> list[int]:
    """The ids, each once, of active workers (422 on ``field`` otherwise); at most 6."""
    ids = list(dict.fromkeys(worker_ids))
    if len(ids) != len(worker_ids):
        raise field_error(field, "a worker is listed twice")
    if len(ids) > MAX_CREW:
        raise field_error(field, f"a crew has at most {MAX_CREW} workers")
    found = {w.id: w for w in tx.scalars(select(Worker).where(Worker.id.in_(ids)))}
    for worker_id in ids:
        worker = found.get(worker_id)
        if worker is None:
            raise field_error(field, f"No such worker: {worker_id}.")
        if not worker.active:
            raise field_error(field, f"Worker {worker_id} is deactivated.")
    return ids


def lock_workers(tx, worker_ids) -> None:
    schema = current_tenant().schema_name
    for worker_id in sorted(set(worker_ids)):
        key = f"worker:{schema}:{worker_id}"
        tx.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(key, 0))))


def check_free(tx, worker_ids, starts_at: datetime, ends_at: datetime, exclude: int | None) -> None:
    """409 when one of the workers is on another live booking overlapping [starts_at, ends_at)."""
    if not worker_ids:
        return
    stmt = (
        select(BookingWorker.worker_id, Booking.id)
        .join(Booking, Booking.id == BookingWorker.booking_id)
        .where(
            BookingWorker.worker_id.in_(list(worker_ids)),
            Booking.status.in_(LIVE),
            Booking.starts_at < ends_at,
            Booking.ends_at > starts_at,
        )
        .order_by(BookingWorker.worker_id, Booking.id)
        .limit(1)
    )
    if exclude is not None:
        stmt = stmt.where(Booking.id != exclude)
    clash = tx.execute(stmt).first()
    if clash is not None:
        raise Conflict(
            f"Worker {clash[0]} is already on booking {clash[1]} at that time.",
            code="worker_unavailable",
        )


def replace_crew(tx, booking: Booking, worker_ids: list[int]) -> list[int]:
    """Make ``worker_ids`` (checked, possibly empty) the booking's crew in ``tx``; returns the
    crew before. The workers must be free for the booking's time when it is live."""
    before = crew_of(tx, booking.id)
    if set(before) == set(worker_ids):
        return before
    if booking.status in LIVE:
        lock_workers(tx, worker_ids)
        check_free(tx, worker_ids, booking.starts_at, booking.ends_at, booking.id)
    tx.execute(
        delete(BookingWorker).where(
            BookingWorker.booking_id == booking.id, BookingWorker.worker_id.not_in(worker_ids)
        )
    )
    for worker_id in worker_ids:
        if worker_id not in before:
            tx.add(BookingWorker(booking_id=booking.id, worker_id=worker_id))
    tx.flush()
    return before


def recheck(tx, booking: Booking) -> None:
    """After a move: the crew must be free at the booking's new time (409 otherwise)."""
    crew = crew_of(tx, booking.id)
    lock_workers(tx, crew)
    check_free(tx, crew, booking.starts_at, booking.ends_at, booking.id)


def set_crew(booking_id: int, worker_ids: list[int], *, action: str = "booking.crew") -> Booking:
    """Staff set a live booking's crew (audited); an empty list leaves it unassigned."""
    with db.transaction() as tx:
        booking = tx.get(Booking, booking_id, with_for_update=True)
        if booking is None:
            raise NotFound("No such booking.")
        if booking.status not in LIVE:
            raise Conflict(
                f"A {booking.status} booking cannot be reassigned.", code="invalid_transition"
            )
        ids = check_workers(tx, worker_ids)
        before = replace_crew(tx, booking, ids)
        if set(before) != set(ids):
            record(tx, action, "booking", booking.id, {"worker_ids": before}, {"worker_ids": ids})
    return booking
