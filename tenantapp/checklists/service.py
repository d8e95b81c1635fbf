"""Checklist runs: one per booking, snapshotted from a template version; toggled by staff and
workers; completing needs every required item done; a completed run is read-only."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from shared import db
from shared.errors import BadRequest, Conflict, NotFound
from tenantapp.audit.service import record
from tenantapp.bookings.models import Booking
from tenantapp.checklists import templates
from tenantapp.checklists.actors import current_actor
from tenantapp.checklists.models import ChecklistRun, ChecklistRunItem, ChecklistTemplateVersion


def _now() -> datetime:
    return datetime.now(UTC)


def _run(sess, booking_id: int, *, lock: bool = False) -> ChecklistRun:
    stmt = select(ChecklistRun).where(ChecklistRun.booking_id == booking_id)
    run = sess.scalar(stmt.with_for_update() if lock else stmt)
    if run is None:
        raise NotFound("This booking has no checklist yet; initialise it first.")
    return run


def _items(sess, run_id: int) -> list[ChecklistRunItem]:
    return list(
        sess.scalars(
            select(ChecklistRunItem)
            .where(ChecklistRunItem.run_id == run_id)
            .order_by(ChecklistRunItem.position, ChecklistRunItem.id)
        )
    )


def init_run(booking_id: int) -> ChecklistRun:
    """Create the booking's run from the template for its service type (else the default);
    idempotent: an existing run is returned unchanged."""
    with db.transaction() as tx:
        # The booking row lock serialises concurrent inits of the same booking.
        booking = tx.get(Booking, booking_id, with_for_update=True)
        if booking is None:
            raise NotFound("No such booking.")
        existing = tx.scalar(select(ChecklistRun).where(ChecklistRun.booking_id == booking_id))
        if existing is not None:
            return existing
        if booking.status == "CANCELLED":
            raise Conflict("This booking is cancelled.", code="invalid_transition")
        template = templates.template_for(tx, booking.service_type)
        if template is None:
            raise Conflict("No checklist template fits this booking and there is no default.")
        version = templates.current_version(tx, template)
        run = ChecklistRun(booking_id=booking_id, template_version_id=version.id)
        tx.add(run)
        tx.flush()
        for item in templates.version_items(tx, version.id):
            tx.add(
                ChecklistRunItem(
                    run_id=run.id,
                    label=item.label,
                    phase=item.phase,
                    required=item.required,
                    position=item.position,
                    done=False,
                )
            )
        record(
            tx,
            "checklist.init",
            "booking",
            booking_id,
            None,
            {"template_id": template.id, "version": version.version},
        )
    return run


def get_run(booking_id: int) -> ChecklistRun:
    """The booking's checklist run; 404 before it is initialised."""
    return _run(db.session(), booking_id)


def _check_open(run: ChecklistRun) -> None:
    if run.completed_at is not None:
        raise Conflict("This checklist is completed; it can no longer change.")


def update_item(booking_id: int, item_id: int, data: dict) -> ChecklistRun:
    """Tick or untick an item and/or set its note (409 once the run is completed)."""
    with db.transaction() as tx:
        run = _run(tx, booking_id, lock=True)
        item = tx.get(ChecklistRunItem, item_id)
        if item is None or item.run_id != run.id:
            raise NotFound("No such checklist item on this booking.")
        _check_open(run)
        before = {"done": item.done, "note": item.note}
        if "done" in data and data["done"] != item.done:
            item.done = data["done"]
            item.done_at = _now() if item.done else None
            item.done_by = current_actor() if item.done else None
        if "note" in data:
            item.note = data["note"]
        after = {"done": item.done, "note": item.note}
        if after != before:
            record(tx, "checklist.item", "checklist_item", item.id, before, after)
    return run


def complete(booking_id: int) -> ChecklistRun:
    """Close the run; every required item must be done (400 lists the missing ids).
    Completing an already completed run returns it unchanged."""
    with db.transaction() as tx:
        run = _run(tx, booking_id, lock=True)
        if run.completed_at is not None:
            return run
        missing = [i.id for i in _items(tx, run.id) if i.required and not i.done]
        if missing:
            raise BadRequest(
                "Some required checklist items are not done.", missing_item_ids=missing
            )
        run.completed_at, run.completed_by = _now(), current_actor()
        record(tx, "checklist.complete", "booking", booking_id, None, {"run_id": run.id})
    return run


def view(run: ChecklistRun) -> dict:
    """The API form of ``run``: template version, items and completion."""
    sess = db.session()
    version = sess.get(ChecklistTemplateVersion, run.template_version_id)
    return {
        "id": run.id,
        "booking_id": run.booking_id,
        "template_id": version.template_id,
        "template_version": version.version,
        "completed_at": run.completed_at,
        "completed_by": run.completed_by,
        "items": [
            {
                "id": i.id,
                "label": i.label,
                "phase": i.phase,
                "required": i.required,
                "position": i.position,
                "done": i.done,
                "note": i.note,
                "done_at": i.done_at,
                "done_by": i.done_by,
            }
            for i in _items(sess, run.id)
        ],
    }
