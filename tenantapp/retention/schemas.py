from marshmallow import Schema, fields, validate

from shared.api import BIGINT_MAX


class DataSubjectIn(Schema):
    # Exactly one of the two (retention.service checks it); neither is nullable.
    OPENAPI_EXTRA = {"minProperties": 1, "maxProperties": 1}

    # Ids are BIGINT: a larger one was a NumericValueOutOfRange 500 from the driver.
    customer_id = fields.Integer(validate=validate.Range(min=1, max=BIGINT_MAX))
    email = fields.Email(validate=validate.Length(max=320))


class CleanupOut(Schema):
    enabled = fields.Boolean()
    retention_lead_days = fields.Integer(allow_none=True)
    deleted_leads = fields.Integer()


class DeletionOut(Schema):
    customer_ids = fields.List(fields.Integer())
    leads = fields.Integer()
    bookings = fields.Integer()
    photos = fields.Integer()
    outbox_messages = fields.Integer(
        metadata={"description": "Queued, dead and sent messages to or about them, deleted."}
    )
    messages = fields.Integer(metadata={"description": "Texts of their thread, deleted."})


class ExportBundle(Schema):
    generated_at = fields.String()
    customers = fields.List(fields.Dict())
    properties = fields.List(fields.Dict())
    leads = fields.List(fields.Dict())
    bookings = fields.List(fields.Dict())
    photos = fields.List(fields.Dict())
    referral_credits = fields.List(fields.Dict())
    messages = fields.List(fields.Dict())
    reviews = fields.List(fields.Dict())
