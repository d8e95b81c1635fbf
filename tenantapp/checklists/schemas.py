from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from tenantapp.checklists.models import PHASES
from tenantapp.fields import UtcDateTime
from tenantapp.pricing.config import SERVICE_TYPES

MAX_ITEMS = 100


class TemplateItem(Schema):
    label = fields.String(required=True, validate=validate.Length(min=1, max=300))
    phase = fields.String(required=True, validate=validate.OneOf(PHASES))
    required = fields.Boolean(load_default=False)
    position = fields.Integer(
        load_default=None, strict=True, validate=validate.Range(min=0, max=10_000)
    )


class TemplateIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    service_type = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(SERVICE_TYPES),
        metadata={"description": "null: the default template, used when no other matches."},
    )
    items = fields.List(
        fields.Nested(TemplateItem),
        required=True,
        validate=validate.Length(min=1, max=MAX_ITEMS),
    )

    @validates_schema
    def positions(self, data, **kwargs):
        """Missing positions follow the list order; given ones must not repeat."""
        items = data.get("items") or []
        given = [i["position"] for i in items if i["position"] is not None]
        if len(given) != len(set(given)):
            raise ValidationError("Item positions must be unique.", "items")
        for index, item in enumerate(items):
            if item["position"] is None:
                item["position"] = index if not given else max(given) + 1 + index


class TemplateItemOut(Schema):
    label = fields.String()
    phase = fields.String()
    required = fields.Boolean()
    position = fields.Integer()


class TemplateOut(Schema):
    id = fields.Integer()
    name = fields.String()
    service_type = fields.String(allow_none=True)
    version = fields.Integer()
    items = fields.List(fields.Nested(TemplateItemOut))
    created_at = UtcDateTime()
    updated_at = UtcDateTime()


class TemplateList(Schema):
    items = fields.List(fields.Nested(TemplateOut))


class RunItemOut(Schema):
    id = fields.Integer()
    label = fields.String()
    phase = fields.String()
    required = fields.Boolean()
    position = fields.Integer()
    done = fields.Boolean()
    note = fields.String(allow_none=True)
    done_at = UtcDateTime(allow_none=True)
    done_by = fields.String(allow_none=True)


class RunOut(Schema):
    id = fields.Integer()
    booking_id = fields.Integer()
    template_id = fields.Integer()
    template_version = fields.Integer()
    completed_at = UtcDateTime(allow_none=True)
    completed_by = fields.String(allow_none=True)
    items = fields.List(fields.Nested(RunItemOut))


class RunItemPatch(Schema):
    OPENAPI_EXTRA = {"minProperties": 1}  # done and/or note (checked below)

    done = fields.Boolean()
    note = fields.String(allow_none=True, validate=validate.Length(max=2000))

    @validates_schema
    def something(self, data, **kwargs):
        if not data:
            raise ValidationError("Give done and/or note.", "done")
