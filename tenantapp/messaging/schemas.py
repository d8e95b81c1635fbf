from marshmallow import Schema, fields, validate

from shared.outbox import KINDS, STATUSES
from shared.pagination import PageArgs, page_schema


class OutboxListArgs(PageArgs):
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))
    kind = fields.String(load_default=None, validate=validate.OneOf((*KINDS, "sms")))


class OutboxOut(Schema):
    id = fields.Integer()
    kind = fields.String()
    topic = fields.String()
    recipient = fields.String(allow_none=True)
    dedupe_key = fields.String()
    status = fields.String()
    attempts = fields.Integer()
    next_attempt_at = fields.DateTime()
    last_error = fields.String(allow_none=True)
    provider_ref = fields.String(allow_none=True)
    replay_count = fields.Integer()
    created_at = fields.DateTime()
    sent_at = fields.DateTime(allow_none=True)
    dead_at = fields.DateTime(allow_none=True)


OutboxPage = page_schema(OutboxOut, "OutboxPage")


class ScanOut(Schema):
    queued = fields.Integer()
    skipped = fields.Integer()


class UnsubscribeArgs(Schema):
    token = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class UnsubscribeOut(Schema):
    unsubscribed = fields.Boolean()
    email = fields.String()
