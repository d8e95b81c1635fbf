from marshmallow import Schema, ValidationError, fields, post_load, validate

from tenantapp.bulk.actions import (
    BOOKING_ACTIONS,
    LEAD_ACTIONS,
    MAX_IDS,
    WORKER_ACTIONS,
    WorkerTeamParams,
)


class _BulkIn(Schema):
    ACTIONS: dict = {}

    ids = fields.List(
        fields.Integer(strict=True, validate=validate.Range(min=1, max=2**63 - 1)),
        required=True,
        validate=validate.Length(min=1, max=MAX_IDS),
        metadata={"description": f"1..{MAX_IDS} ids; each gets one result item, in order."},
    )
    params = fields.Dict(load_default=dict)
    dry_run = fields.Boolean(
        load_default=False,
        metadata={
            "description": "Run every action and roll it all back: the same results, "
            "nothing changed."
        },
    )

    @post_load
    def check_params(self, data, **kwargs):
        action = self.ACTIONS[data["action"]]
        try:
            data["params"] = action.params().load(data.get("params") or {})
        except ValidationError as exc:
            raise ValidationError({"params": exc.messages}) from exc
        return data


class BookingsBulkIn(_BulkIn):
    ACTIONS = BOOKING_ACTIONS
    action = fields.String(required=True, validate=validate.OneOf(tuple(BOOKING_ACTIONS)))


class LeadsBulkIn(_BulkIn):
    ACTIONS = LEAD_ACTIONS
    action = fields.String(required=True, validate=validate.OneOf(tuple(LEAD_ACTIONS)))


class WorkersBulkIn(_BulkIn):
    ACTIONS = WORKER_ACTIONS
    action = fields.String(required=True, validate=validate.OneOf(tuple(WORKER_ACTIONS)))
    # One action, so the document can say exactly what its params are.
    params = fields.Nested(WorkerTeamParams, required=True)


class BulkItem(Schema):
    id = fields.Integer()
    ok = fields.Boolean()
    code = fields.String(allow_none=True, metadata={"description": "Problem code when not ok."})
    detail = fields.String(allow_none=True)
    status = fields.String(allow_none=True, metadata={"description": "The row's status after."})


class BulkOut(Schema):
    dry_run = fields.Boolean()
    action = fields.String()
    items = fields.List(fields.Nested(BulkItem))
