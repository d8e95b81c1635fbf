from marshmallow import Schema, fields, validate


class FeedbackIn(Schema):
    score = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=10))
    comment = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class FeedbackOut(Schema):
    company_name = fields.String()
    booking_id = fields.Integer()
    answered = fields.Boolean()
    score = fields.Integer(allow_none=True)
    comment = fields.String(allow_none=True)
    submitted_at = fields.DateTime(allow_none=True)
    review_url = fields.String(
        allow_none=True, metadata={"description": "The public review page, for scores 9-10"}
    )
