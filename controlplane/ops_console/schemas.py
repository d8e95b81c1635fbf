"""``GET /v1/ops/series``: the console's time series as JSON."""

from marshmallow import Schema, fields, validate

from controlplane.ops_console.series import DEFAULT_RANGE, RANGES
from controlplane.ops_console.snapshots import SERIES


class SeriesArgs(Schema):
    series = fields.String(required=True, validate=validate.OneOf(sorted(SERIES)))
    range = fields.String(load_default=DEFAULT_RANGE, validate=validate.OneOf(list(RANGES)))
    bucket = fields.String(load_default=None, validate=validate.OneOf(["hour", "day"]))


class SeriesLine(Schema):
    label = fields.String(metadata={"description": "a status, plan, kind or scope; '' if none"})
    values = fields.List(
        fields.Integer(allow_none=True),
        metadata={"description": "one per bucket; null where no snapshot was taken"},
    )


class SeriesOut(Schema):
    series = fields.String()
    description = fields.String()
    bucket = fields.String(validate=validate.OneOf(["hour", "day"]))
    starts = fields.List(fields.DateTime(), metadata={"description": "bucket starts, UTC"})
    lines = fields.List(fields.Nested(SeriesLine))
    last_snapshot_at = fields.DateTime(allow_none=True)
