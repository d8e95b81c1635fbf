"""Time tracking: NOT_STARTED → RUNNING ⇄ PAUSED → FINISHED, one entry per booking, segments,
and the overrun rule (finishing above 1.2 × planned needs a reason)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from shared import db
from shared.errors import Conflict, NotFound, field_error
from tenantapp.audit.service import record
from tenantapp.bookings.models import Booking
from tenantapp.checklists.actors import current_actor
from tenantapp.timetracking.models import TimeEntry, TimeSegment

# Effective time above OVERRUN_NUM / OVERRUN_DEN of the planned time needs a reason; kept as a
# fraction so the boundary (exactly 1.2 ×) is compared without floating point.
OVERRUN_NUM, OVERRUN_DEN = 6, 5


def _now() -> datetime:
    """The clock (tests replace it to place segments exactly)."""
    return datetime.now(UTC)


def _booking(sess, booking_id: int) -> Booking:
    booking = sess.get(Booking, booking_id)
    if booking is None:
        raise NotFound("No such booking.")
    return booking


def _locked_entry(tx, booking_id: int, *, create: bool) -> TimeEntry | None:
    """The booking's entry, row-locked. With ``create`` a missing one is inserted first with
    ON CONFLICT DO NOTHING, so two concurrent starts end up locking the same single row."""
    worker_id = tx.get(Booking, booking_id).worker_id
    if create:
        tx.execute(
            insert(TimeEntry)
            .values(booking_id=booking_id, worker_id=worker_id, state="NOT_STARTED")
            .on_conflict_do_nothing(index_elements=["booking_id", "worker_id"])
        )
    return tx.scalar(
        select(TimeEntry)
        .where(
            TimeEntry.booking_id == booking_id, TimeEntry.worker_id.is_not_distinct_from(worker_id)
        )
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def _open_segment(tx, entry: TimeEntry) -> TimeSegment | None:
    return tx.scalar(
        select(TimeSegment).where(TimeSegment.entry_id == entry.id, TimeSegment.ended_at.is_(None))
    )


def _refuse(entry: TimeEntry | None, action: str):
    state = entry.state if entry else "NOT_STARTED"
    raise Conflict(f"The timer is {state}; it cannot {action}.", code="invalid_transition")


def _audit(tx, entry: TimeEntry, action: str, before: str) -> None:
    record(
        tx, f"time.{action}", "booking", entry.booking_id, {"state": before}, {"state": entry.state}
    )


def start(booking_id: int, now: datetime | None = None) -> None:
    """Start the timer; starting a RUNNING timer is a no-op."""
    now = now or _now()
    with db.transaction() as tx:
        if _booking(tx, booking_id).status == "CANCELLED":
            raise Conflict("This booking is cancelled.", code="invalid_transition")
        entry = _locked_entry(tx, booking_id, create=True)
        if entry.state == "RUNNING":
            return
        if entry.state != "NOT_STARTED":
            _refuse(entry, "start")
        entry.state, entry.started_at = "RUNNING", now
        tx.add(TimeSegment(entry_id=entry.id, started_at=now, by=current_actor()))
        _audit(tx, entry, "start", "NOT_STARTED")


def pause(booking_id: int, now: datetime | None = None) -> None:
    """RUNNING → PAUSED: close the open segment; 409 from any other state."""
    now = now or _now()
    with db.transaction() as tx:
        _booking(tx, booking_id)
        entry = _locked_entry(tx, booking_id, create=False)
        if entry is None or entry.state != "RUNNING":
            _refuse(entry, "pause")
        _open_segment(tx, entry).ended_at = now
        entry.state = "PAUSED"
        _audit(tx, entry, "pause", "RUNNING")


def resume(booking_id: int, now: datetime | None = None) -> None:
    """PAUSED → RUNNING: open a new segment; 409 from any other state."""
    now = now or _now()
    with db.transaction() as tx:
        _booking(tx, booking_id)
        entry = _locked_entry(tx, booking_id, create=False)
        if entry is None or entry.state != "PAUSED":
            _refuse(entry, "resume")
        entry.state = "RUNNING"
        tx.add(TimeSegment(entry_id=entry.id, started_at=now, by=current_actor()))
        _audit(tx, entry, "resume", "PAUSED")


def finish(
    booking_id: int, overrun_reason: str | None, note: str | None, now: datetime | None = None
) -> None:
    """Stop for good. Effective time above 1.2 × planned needs ``overrun_reason`` (422)."""
    now = now or _now()
    with db.transaction() as tx:
        booking = _booking(tx, booking_id)
        entry = _locked_entry(tx, booking_id, create=False)
        if entry is None or entry.state not in ("RUNNING", "PAUSED"):
            _refuse(entry, "finish")
        before = entry.state
        segment = _open_segment(tx, entry)
        if segment is not None:
            segment.ended_at = now
        tx.flush()
        effective = _effective(tx, entry, now)
        if is_overrun(effective, _planned(booking)) and not overrun_reason:
            raise field_error(
                "overrun_reason",
                "The job took more than 1.2 × the planned time; give a reason.",
            )
        entry.state, entry.finished_at = "FINISHED", now
        entry.overrun_reason, entry.note = overrun_reason, note
        _audit(tx, entry, "finish", before)


def _planned(booking: Booking) -> timedelta:
    return timedelta(minutes=booking.duration_minutes)


def is_overrun(effective: timedelta, planned: timedelta) -> bool:
    """Whether ``effective`` exceeds the overrun ratio (1.2) of ``planned``."""
    return effective * OVERRUN_DEN > planned * OVERRUN_NUM


def _segments(sess, entry: TimeEntry | None) -> list[TimeSegment]:
    if entry is None:
        return []
    return list(
        sess.scalars(
            select(TimeSegment)
            .where(TimeSegment.entry_id == entry.id)
            .order_by(TimeSegment.started_at, TimeSegment.id)
        )
    )


def _effective(sess, entry: TimeEntry | None, now: datetime) -> timedelta:
    return sum(((s.ended_at or now) - s.started_at for s in _segments(sess, entry)), timedelta())


def summary(booking_id: int, now: datetime | None = None) -> dict:
    """State, segments, planned / effective / delta seconds and effective ÷ planned."""
    now = now or _now()
    sess = db.session()
    booking = _booking(sess, booking_id)
    entry = sess.scalar(
        select(TimeEntry)
        .where(
            TimeEntry.booking_id == booking_id,
            TimeEntry.worker_id.is_not_distinct_from(booking.worker_id),
        )
        .execution_options(populate_existing=True)
    )
    planned, effective = _planned(booking), _effective(sess, entry, now)
    return {
        "booking_id": booking_id,
        "state": entry.state if entry else "NOT_STARTED",
        "planned_seconds": int(planned.total_seconds()),
        "effective_seconds": int(effective.total_seconds()),
        "delta_seconds": int((effective - planned).total_seconds()),
        "ratio": round(effective / planned, 4),
        "overrun": is_overrun(effective, planned),
        "overrun_reason": entry.overrun_reason if entry else None,
        "note": entry.note if entry else None,
        "started_at": entry.started_at if entry else None,
        "finished_at": entry.finished_at if entry else None,
        "segments": [
            {"started_at": s.started_at, "ended_at": s.ended_at, "by": s.by}
            for s in _segments(sess, entry)
        ],
    }
