from marshmallow import Schema, fields, validate

from shared.pagination import PageArgs, page_schema
from tenantapp.sms.service import STAFF_MAX_CHARS

PREVIEW_TEMPLATES = (
    "booking_confirmed",
    "booking_reminder_24h",
    "on_my_way",
    "invoice_issued",
    "review_request",
)


class ReplyIn(Schema):
    body = fields.String(
        required=True,
        validate=[
            validate.Length(min=1, max=STAFF_MAX_CHARS),
            validate.Regexp(r"\S", error="body must not be blank"),
        ],
        metadata={"description": f"The text, 1-{STAFF_MAX_CHARS} characters."},
    )


class ThreadItem(Schema):
    id = fields.String(metadata={"description": "sms-<id> or email-<id>"})
    channel = fields.String(metadata={"description": "sms | email"})
    direction = fields.String(metadata={"description": "in | out"})
    body = fields.String(allow_none=True)
    subject = fields.String(allow_none=True)
    template = fields.String(allow_none=True)
    status = fields.String()
    reason = fields.String(allow_none=True)
    segments = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    read_at = fields.DateTime(allow_none=True)


ThreadPage = page_schema(ThreadItem, "MessageThreadPage")


class SentOut(Schema):
    id = fields.Function(lambda m: f"sms-{m.id}")
    channel = fields.Constant("sms")
    direction = fields.String()
    body = fields.String()
    status = fields.String()
    segments = fields.Integer()
    created_at = fields.DateTime()


class ConversationArgs(PageArgs):
    # ``?unread`` alone (as SPEC §5.12 writes it) means true.
    unread = fields.Boolean(
        load_default=False,
        truthy={*fields.Boolean.truthy, ""},
        metadata={"description": "Only customers with unread texts (`?unread` alone: true)."},
    )


class ConversationOut(Schema):
    customer_id = fields.Integer()
    name = fields.String()
    phone = fields.String(allow_none=True)
    unread = fields.Integer()
    last_message_at = fields.DateTime()
    last_message = fields.String(allow_none=True)


ConversationPage = page_schema(ConversationOut, "ConversationPage")


class PreviewArgs(Schema):
    template = fields.String(required=True, validate=validate.OneOf(PREVIEW_TEMPLATES))
    booking_id = fields.Integer(required=True, validate=validate.Range(min=1))
    channel = fields.String(load_default="sms", validate=validate.OneOf(("sms", "email")))


class PreviewOut(Schema):
    template = fields.String()
    channel = fields.String()
    subject = fields.String(allow_none=True)
    text = fields.String()
    html = fields.String(allow_none=True)
    segments = fields.Integer(allow_none=True)
    encoding = fields.String(allow_none=True)
    characters = fields.Integer(allow_none=True)
