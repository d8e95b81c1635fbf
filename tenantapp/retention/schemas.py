from marshmallow import Schema, fields, validate


class DataSubjectIn(Schema):
    customer_id = fields.Integer(load_default=None, validate=validate.Range(min=1))
    email = fields.Email(load_default=None)


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


class ExportBundle(Schema):
    generated_at = fields.String()
    customers = fields.List(fields.Dict())
    leads = fields.List(fields.Dict())
    bookings = fields.List(fields.Dict())
    photos = fields.List(fields.Dict())
    referral_credits = fields.List(fields.Dict())
