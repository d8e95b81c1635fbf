from marshmallow import Schema, fields, validate

from tenantapp.fields import UtcDateTime
from tenantapp.timetracking.models import OVERRUN_REASONS, STATES


class FinishIn(Schema):
    overrun_reason = fields.String(
        load_default=None, allow_none=True, validate=validate.OneOf(OVERRUN_REASONS)
    )
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class SegmentOut(Schema):
    started_at = UtcDateTime()
    ended_at = UtcDateTime(allow_none=True)
    by = fields.String(allow_none=True)


class TimeOut(Schema):
    booking_id = fields.Integer()
    state = fields.String(metadata={"enum": list(STATES)})
    planned_seconds = fields.Integer()
    effective_seconds = fields.Integer()
    delta_seconds = fields.Integer(metadata={"description": "effective − planned"})
    ratio = fields.Float(metadata={"description": "effective ÷ planned, 4 decimals"})
    overrun = fields.Boolean(metadata={"description": "effective > 1.2 × planned"})
    overrun_reason = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    started_at = UtcDateTime(allow_none=True)
    finished_at = UtcDateTime(allow_none=True)
    segments = fields.List(fields.Nested(SegmentOut))
