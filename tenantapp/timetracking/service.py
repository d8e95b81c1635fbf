"""Time tracking: NOT_STARTED → RUNNING ⇄ PAUSED → FINISHED, one entry per booking and worker
(crews, SPEC §5.5/§5.9), segments, and the overrun rule judged per worker (finishing above
1.2 × planned needs a reason). The booking's summary adds the crew up.

Who a timer belongs to: in the worker portal, the worker themself; for staff, the ``worker_id``
given (a member of the crew), else the only crew member; a booking without a crew has one entry
of its own (worker NULL), as before crews existed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from shared import db
from shared.errors import Conflict, NotFound, field_error
from tenantapp.audit.service import record
from tenantapp.bookings.crews import crew_of, crew_size
from tenantapp.bookings.models import Booking
from tenantapp.checklists.actors import current_actor
from tenantapp.timetracking.models import TimeEntry, TimeSegment

# Effective time above OVERRUN_NUM / OVERRUN_DEN of the planned time needs a reason; kept as a
# fraction so the boundary (exactly 1.2 ×) is compared without floating point.
OVERRUN_NUM, OVERRUN_DEN = 6, 5


@dataclass(frozen=True)
class Actor:
    """Whose timer a call runs: ``worker_id`` named by staff (None: the only crew member), or
    the worker acting in the portal (``portal``)."""

    worker_id: int | None = None
    portal: bool = False


STAFF = Actor()


def _now() -> datetime:
    """The clock (tests replace it to place segments exactly)."""
    return datetime.now(UTC)


def _booking(sess, booking_id: int) -> Booking:
    booking = sess.get(Booking, booking_id)
    if booking is None:
        raise NotFound("No such booking.")
    return booking


def timer_owner(sess, booking: Booking, actor: Actor) -> int | None:
    """The worker whose entry ``actor`` runs (None: the booking's own, when it has no crew)."""
    if actor.portal:
        return actor.worker_id
    crew = crew_of(sess, booking.id)
    if actor.worker_id is not None:
        if actor.worker_id not in crew:
            raise field_error("worker_id", "This worker is not on the booking's crew.")
        return actor.worker_id
    if len(crew) > 1:
        raise field_error("worker_id", f"The crew has {len(crew)} workers; name one.")
    return crew[0] if crew else None


def _locked_entry(tx, booking_id: int, worker_id: int | None, *, create: bool):
    """The worker's entry on the booking, row-locked. With ``create`` a missing one is inserted
    first with ON CONFLICT DO NOTHING, so two concurrent starts lock the same single row."""
    if create:
        tx.execute(
            insert(TimeEntry)
            .values(booking_id=booking_id, worker_id=worker_id, state="NOT_STARTED")
            .on_conflict_do_nothing(index_elements=["booking_id", "worker_id"])
        )
    return tx.scalar(
        select(TimeEntry)
        .where(
            TimeEntry.booking_id == booking_id,
            TimeEntry.worker_id.is_not_distinct_from(worker_id),
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
        tx,
        f"time.{action}",
        "booking",
        entry.booking_id,
        {"state": before, "worker_id": entry.worker_id},
        {"state": entry.state, "worker_id": entry.worker_id},
    )


def start(booking_id: int, actor: Actor = STAFF, now: datetime | None = None) -> None:
    """Start the worker's timer; starting a RUNNING timer is a no-op."""
    now = now or _now()
    with db.transaction() as tx:
        booking = _booking(tx, booking_id)
        if booking.status == "CANCELLED":
            raise Conflict("This booking is cancelled.", code="invalid_transition")
        worker_id = timer_owner(tx, booking, actor)
        entry = _locked_entry(tx, booking_id, worker_id, create=True)
        if entry.state == "RUNNING":
            return
        if entry.state != "NOT_STARTED":
            _refuse(entry, "start")
        entry.state, entry.started_at = "RUNNING", now
        tx.add(TimeSegment(entry_id=entry.id, started_at=now, by=current_actor()))
        _audit(tx, entry, "start", "NOT_STARTED")


def pause(booking_id: int, actor: Actor = STAFF, now: datetime | None = None) -> None:
    """RUNNING → PAUSED: close the open segment; 409 from any other state."""
    now = now or _now()
    with db.transaction() as tx:
        worker_id = timer_owner(tx, _booking(tx, booking_id), actor)
        entry = _locked_entry(tx, booking_id, worker_id, create=False)
        if entry is None or entry.state != "RUNNING":
            _refuse(entry, "pause")
        _open_segment(tx, entry).ended_at = now
        entry.state = "PAUSED"
        _audit(tx, entry, "pause", "RUNNING")


def resume(booking_id: int, actor: Actor = STAFF, now: datetime | None = None) -> None:
    """PAUSED → RUNNING: open a new segment; 409 from any other state."""
    now = now or _now()
    with db.transaction() as tx:
        worker_id = timer_owner(tx, _booking(tx, booking_id), actor)
        entry = _locked_entry(tx, booking_id, worker_id, create=False)
        if entry is None or entry.state != "PAUSED":
            _refuse(entry, "resume")
        entry.state = "RUNNING"
        tx.add(TimeSegment(entry_id=entry.id, started_at=now, by=current_actor()))
        _audit(tx, entry, "resume", "PAUSED")


def finish(
    booking_id: int,
    overrun_reason: str | None,
    note: str | None,
    actor: Actor = STAFF,
    now: datetime | None = None,
) -> None:
    """Stop the worker's timer for good. Their effective time above 1.2 × planned (the
    booking's duration: each worker is planned for the whole job) needs ``overrun_reason``."""
    now = now or _now()
    with db.transaction() as tx:
        booking = _booking(tx, booking_id)
        worker_id = timer_owner(tx, booking, actor)
        entry = _locked_entry(tx, booking_id, worker_id, create=False)
        if entry is None or entry.state not in ("RUNNING", "PAUSED"):
            _refuse(entry, "finish")
        before = entry.state
        segment = _open_segment(tx, entry)
        if segment is not None:
            segment.ended_at = now
        tx.flush()
        effective = _effective(_segments(tx, [entry])[entry.id], now)
        if is_overrun(effective, _planned(booking)) and not overrun_reason:
            raise field_error(
                "overrun_reason",
                "The job took more than 1.2 × the planned time; give a reason.",
            )
        entry.state, entry.finished_at = "FINISHED", now
        entry.overrun_reason, entry.note = overrun_reason, note
        _audit(tx, entry, "finish", before)


def _planned(booking: Booking) -> timedelta:
    """One worker's planned time: the booking's duration."""
    return timedelta(minutes=booking.duration_minutes)


def is_overrun(effective: timedelta, planned: timedelta) -> bool:
    """Whether ``effective`` exceeds the overrun ratio (1.2) of ``planned``."""
    return effective * OVERRUN_DEN > planned * OVERRUN_NUM


def _segments(sess, entries: list[TimeEntry]) -> dict[int, list[TimeSegment]]:
    out: dict[int, list[TimeSegment]] = {e.id: [] for e in entries}
    if out:
        for s in sess.scalars(
            select(TimeSegment)
            .where(TimeSegment.entry_id.in_(list(out)))
            .order_by(TimeSegment.started_at, TimeSegment.id)
        ):
            out[s.entry_id].append(s)
    return out


def _effective(segments: list[TimeSegment], now: datetime) -> timedelta:
    return sum(((s.ended_at or now) - s.started_at for s in segments), timedelta())


def _state(states: list[str]) -> str:
    """The crew's state: RUNNING if anyone runs, else PAUSED if anyone paused, else FINISHED
    once every started timer finished, else NOT_STARTED."""
    for state in ("RUNNING", "PAUSED", "FINISHED"):
        if state in states:
            return state
    return "NOT_STARTED"


def _figures(planned: timedelta, effective: timedelta) -> dict:
    return {
        "planned_seconds": int(planned.total_seconds()),
        "effective_seconds": int(effective.total_seconds()),
        "delta_seconds": int((effective - planned).total_seconds()),
        "ratio": round(effective / planned, 4),
        "overrun": is_overrun(effective, planned),
    }


def _segment_view(s: TimeSegment, worker_id: int | None) -> dict:
    return {"started_at": s.started_at, "ended_at": s.ended_at, "by": s.by, "worker_id": worker_id}


def summary(booking_id: int, now: datetime | None = None) -> dict:
    """The booking's time: planned (duration × crew size), effective (the crew's sum), delta and
    ratio; and each worker's own (planned = the duration, overrun judged on their own time).

    ``overrun_reason``/``note``/``finished_at`` at the top are the only entry's when there is
    one; with several, each worker's are in ``workers``."""
    now = now or _now()
    sess = db.session()
    booking = _booking(sess, booking_id)
    entries = list(
        sess.scalars(
            select(TimeEntry)
            .where(TimeEntry.booking_id == booking_id)
            .order_by(TimeEntry.id)
            .execution_options(populate_existing=True)
        )
    )
    segments = _segments(sess, entries)
    crew = crew_of(sess, booking_id)
    per_worker = []
    for entry in entries:
        own = _effective(segments[entry.id], now)
        per_worker.append(
            {
                "worker_id": entry.worker_id,
                "state": entry.state,
                **_figures(_planned(booking), own),
                "overrun_reason": entry.overrun_reason,
                "note": entry.note,
                "started_at": entry.started_at,
                "finished_at": entry.finished_at,
                "segments": [_segment_view(s, entry.worker_id) for s in segments[entry.id]],
            }
        )
    on_job = max(crew_size(booking, crew), len(entries), 1)
    effective = sum((_effective(segments[e.id], now) for e in entries), timedelta())
    only = entries[0] if len(entries) == 1 else None
    started = [e.started_at for e in entries if e.started_at]
    all_done = bool(entries) and all(e.state == "FINISHED" for e in entries)
    return {
        "booking_id": booking_id,
        "state": _state([e.state for e in entries]),
        "crew_size": on_job,
        **_figures(_planned(booking) * on_job, effective),
        "overrun_reason": only.overrun_reason if only else None,
        "note": only.note if only else None,
        "started_at": min(started) if started else None,
        "finished_at": max(e.finished_at for e in entries) if all_done else None,
        "segments": sorted(
            (seg for w in per_worker for seg in w["segments"]),
            key=lambda s: s["started_at"],
        ),
        "workers": per_worker,
    }
