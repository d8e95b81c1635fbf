from marshmallow import Schema, fields, validate

from shared.pagination import PageArgs
from tenantapp.fields import UtcDateTime
from tenantapp.photos.models import PHASES


class PhotoOut(Schema):
    id = fields.UUID()
    booking_id = fields.Integer()
    phase = fields.String()
    content_type = fields.String()
    size_bytes = fields.Integer()
    sha256 = fields.String()
    original_filename = fields.String(allow_none=True, metadata={"description": "metadata only"})
    uploaded_by_type = fields.String()
    uploaded_by_id = fields.String()
    review_status = fields.String()
    review_comment = fields.String(allow_none=True)
    needs_retake = fields.Boolean()
    reviewed_by = fields.String(allow_none=True)
    reviewed_at = UtcDateTime(allow_none=True)
    created_at = UtcDateTime()


class PhotoPage(Schema):
    items = fields.List(fields.Nested(PhotoOut))
    next_cursor = fields.String(allow_none=True)


class PhotoListArgs(PageArgs):
    phase = fields.String(load_default=None, validate=validate.OneOf(PHASES))


class ReviewQueueArgs(PageArgs):
    status = fields.String(
        load_default="pending", validate=validate.OneOf(("pending", "needs_retake"))
    )


class ReviewIn(Schema):
    status = fields.String(required=True, validate=validate.OneOf(("APPROVED", "REJECTED")))
    comment = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))
    needs_retake = fields.Boolean(load_default=False)


class SignedUrlArgs(Schema):
    single_use = fields.Boolean(load_default=False)


class SignedUrlOut(Schema):
    url = fields.String()
    expires_at = UtcDateTime()


class DownloadArgs(Schema):
    token = fields.String(load_default=None)


UPLOAD_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["phase", "file"],
                "properties": {
                    "phase": {"type": "string", "enum": list(PHASES)},
                    "file": {
                        "type": "string",
                        "format": "binary",
                        "description": "JPEG, PNG or WebP (decided by its bytes), at most "
                        "PHOTO_MAX_BYTES",
                    },
                },
            }
        }
    },
}
