"""The bulk actions (SPEC §5.9): each is its params schema and a function acting on one id.

Every function is one of the features' own single-row actions (the same rules, transaction,
audit entry and e-mails as the one-booking endpoints), so a bulk action never reimplements a
rule; it returns the row's status afterwards, or raises the feature's domain error.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from marshmallow import Schema, fields, validate

from shared import db
from shared.errors import AppError, Conflict, NotFound, field_error
from shared.timezones import NonexistentLocalTime, localize
from tenantapp.audit.service import record
from tenantapp.bookings import crews, lifecycle
from tenantapp.bookings.models import Booking
from tenantapp.bookings.notifications import BOOKING_CONFIRMED, booking_context
from tenantapp.leads import service as leads
from tenantapp.leads.models import LEAD_STATUSES
from tenantapp.messaging.service import enqueue_email
from tenantapp.settings.service import tenant_zone
from tenantapp.workers import service as workers

MAX_IDS = 500


@dataclass(frozen=True)
class Action:
    params: type[Schema]
    run: Callable[[int, dict], str]


class NoParams(Schema):
    pass


class CancelParams(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class TeamParams(Schema):
    team_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))


class WorkersParams(Schema):
    worker_ids = fields.List(
        fields.Integer(strict=True, validate=validate.Range(min=1)),
        required=True,
        validate=validate.Length(min=1, max=6),
    )


class DayParams(Schema):
    date = fields.Date(required=True)


class WorkerTeamParams(Schema):
    team_id = fields.Integer(
        required=True,
        strict=True,
        allow_none=True,
        validate=validate.Range(min=1),
        metadata={"description": "The team to move the workers into; null: no team."},
    )


class LeadStatusParams(Schema):
    status = fields.String(required=True, validate=validate.OneOf(LEAD_STATUSES))


class Unsupported(AppError):
    status, code, title = 409, "not_available", "Not available"


def _booking(booking_id: int) -> Booking:
    booking = db.session().get(Booking, booking_id, populate_existing=True)
    if booking is None:
        raise NotFound("No such booking.")
    return booking


def confirm(booking_id: int, params: dict) -> str:
    return lifecycle.confirm(booking_id).status


def cancel(booking_id: int, params: dict) -> str:
    return lifecycle.cancel(booking_id, params["reason"], "staff").status


def assign_team(booking_id: int, params: dict) -> str:
    _booking(booking_id)
    return lifecycle.update(booking_id, {"team_id": params["team_id"]}).status


def assign_workers(booking_id: int, params: dict) -> str:
    """The booking's crew, set like ``POST /admin/bookings/{id}/workers`` (same checks, audited)."""
    return crews.set_crew(booking_id, params["worker_ids"]).status


def move_day(booking_id: int, params: dict) -> str:
    """Same local start time (and team) on another date; the slot is taken like any move."""
    booking = _booking(booking_id)
    zone = tenant_zone()
    local = booking.starts_at.astimezone(zone)
    naive = datetime.combine(params["date"], local.time().replace(tzinfo=None))
    try:
        start = localize(naive, zone)
    except NonexistentLocalTime as exc:
        raise field_error("params.date", f"{naive.time()} does not exist on that day") from exc
    return lifecycle.move(booking_id, start, booking.team_id, by="staff").status


def resend_confirmation(booking_id: int, params: dict) -> str:
    """Queue the confirmation e-mail again (a new message) for a CONFIRMED booking; audited."""
    with db.transaction() as tx:
        booking = tx.get(Booking, booking_id)
        if booking is None:
            raise NotFound("No such booking.")
        if booking.status != "CONFIRMED":
            raise Conflict(
                f"A {booking.status} booking has no confirmation to resend.",
                code="invalid_transition",
            )
        to, context = booking_context(tx, booking)
        if not to:
            raise Conflict("The customer has no e-mail address.")
        key = f"booking_confirmed:{booking.id}:resend:{uuid.uuid4().hex}"
        enqueue_email(tx, BOOKING_CONFIRMED, to, context, key)
        record(tx, "booking.resend_confirmation", "booking", booking.id, None, {"to": to})
        return booking.status


def lead_status(lead_id: int, params: dict) -> str:
    return leads.change_status(lead_id, params["status"]).status


def worker_team(worker_id: int, params: dict) -> str:
    """Move a worker to a team (or none), like ``PATCH /admin/workers/{id} {team_id}`` (same
    checks, audited); the status after is ``active`` or ``inactive``."""
    worker = workers.update_worker(worker_id, {"team_id": params["team_id"]})
    return "active" if worker.active else "inactive"


BOOKING_ACTIONS = {
    "confirm": Action(NoParams, confirm),
    "cancel": Action(CancelParams, cancel),
    "assign_team": Action(TeamParams, assign_team),
    "assign_workers": Action(WorkersParams, assign_workers),
    "resend_confirmation": Action(NoParams, resend_confirmation),
    "move_day": Action(DayParams, move_day),
}
LEAD_ACTIONS = {"status": Action(LeadStatusParams, lead_status)}
WORKER_ACTIONS = {"team": Action(WorkerTeamParams, worker_team)}
