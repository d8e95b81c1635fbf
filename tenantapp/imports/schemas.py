from marshmallow import Schema, fields

from tenantapp.fields import UtcDateTime
from tenantapp.imports.upload import MAX_BYTES

UPLOAD_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {
                    "file": {
                        "type": "string",
                        "format": "binary",
                        "description": f"CSV (UTF-8, BOM allowed), at most {MAX_BYTES} bytes; "
                        "header row matched by name, Jobber's and ZenMaid's exports recognised",
                    },
                    "dry_run": {"type": "string", "enum": ["true", "false"], "default": "true"},
                },
            }
        }
    },
}


class ImportError_(Schema):
    line = fields.Integer(metadata={"description": "1-based line in the file; header = 1"})
    field = fields.String()
    message = fields.String()


class ImportOut(Schema):
    id = fields.Integer()
    status = fields.String(metadata={"description": "queued, running, done or failed"})
    dry_run = fields.Boolean()
    filename = fields.String(allow_none=True)
    size_bytes = fields.Integer()
    encoding = fields.String(allow_none=True)
    rows = fields.Integer(metadata={"description": "data rows in the file (blank lines aside)"})
    processed = fields.Integer(metadata={"description": "rows handled so far (progress)"})
    created = fields.Integer()
    merged = fields.Integer()
    skipped = fields.Integer()
    errors = fields.List(fields.Nested(ImportError_))
    failure = fields.String(allow_none=True)
    created_at = UtcDateTime()
    started_at = UtcDateTime(allow_none=True)
    finished_at = UtcDateTime(allow_none=True)
