from marshmallow import Schema, fields, validate

from shared.api import BIGINT_MAX
from tenantapp.fields import UtcDateTime
from tenantapp.timetracking.models import OVERRUN_REASONS, STATES


class FinishIn(Schema):
    overrun_reason = fields.String(
        load_default=None, allow_none=True, validate=validate.OneOf(OVERRUN_REASONS)
    )
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


_WORKER_HELP = (
    "The crew member whose timer this is; may be left out when the booking has one worker "
    "(or none)."
)


class TimerActorIn(Schema):
    worker_id = fields.Integer(
        load_default=None,
        allow_none=True,
        strict=True,
        validate=validate.Range(min=1, max=BIGINT_MAX),
        metadata={"description": _WORKER_HELP},
    )


class StaffFinishIn(FinishIn, TimerActorIn):
    pass


class SegmentOut(Schema):
    started_at = UtcDateTime()
    ended_at = UtcDateTime(allow_none=True)
    by = fields.String(allow_none=True)
    worker_id = fields.Integer(allow_none=True)


class WorkerTimeOut(Schema):
    worker_id = fields.Integer(allow_none=True)
    state = fields.String(metadata={"enum": list(STATES)})
    planned_seconds = fields.Integer(metadata={"description": "the booking's duration"})
    effective_seconds = fields.Integer()
    delta_seconds = fields.Integer()
    ratio = fields.Float()
    overrun = fields.Boolean()
    overrun_reason = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    started_at = UtcDateTime(allow_none=True)
    finished_at = UtcDateTime(allow_none=True)
    segments = fields.List(fields.Nested(SegmentOut))


class TimeOut(Schema):
    booking_id = fields.Integer()
    state = fields.String(metadata={"enum": list(STATES)})
    crew_size = fields.Integer()
    planned_seconds = fields.Integer(metadata={"description": "duration × crew size"})
    effective_seconds = fields.Integer(metadata={"description": "the crew's sum"})
    delta_seconds = fields.Integer(metadata={"description": "effective − planned"})
    ratio = fields.Float(metadata={"description": "effective ÷ planned, 4 decimals"})
    overrun = fields.Boolean(metadata={"description": "effective > 1.2 × planned"})
    overrun_reason = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    started_at = UtcDateTime(allow_none=True)
    finished_at = UtcDateTime(allow_none=True)
    segments = fields.List(fields.Nested(SegmentOut))
    workers = fields.List(fields.Nested(WorkerTimeOut))
