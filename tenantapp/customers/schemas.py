from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from shared.pagination import PageArgs, page_schema
from tenantapp.pricing.schemas import EstimateRequestSchema

MAX_TAGS, MAX_TAG_LENGTH = 20, 50
_opt = {"load_default": None, "allow_none": True}
_note = validate.Length(max=500)

PHONE_HELP = (
    "Any format: national numbers are read in the workspace's `country` setting; stored and "
    "answered as E.164 (`+17805550100`)."
)


def _tags_field(**kwargs):
    return fields.List(
        fields.String(validate=validate.Length(min=1, max=MAX_TAG_LENGTH)),
        validate=validate.Length(max=MAX_TAGS),
        metadata={"description": "Lower-cased, duplicates dropped."},
        **kwargs,
    )


class CustomerOut(Schema):
    id = fields.Integer()
    name = fields.String()
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    notes = fields.String(allow_none=True)
    tags = fields.List(fields.String())
    sms_opt_in = fields.Boolean()
    sms_opt_in_source = fields.String(allow_none=True)
    sms_opt_in_at = fields.DateTime(allow_none=True)
    auto_charge = fields.Boolean()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    anonymized_at = fields.DateTime(allow_none=True)


CustomerPage = page_schema(CustomerOut, "CustomerPage")


class CustomerListArgs(PageArgs):
    q = fields.String(
        load_default=None,
        validate=validate.Length(max=200),
        metadata={"description": "Name or e-mail containing it, or a phone with its digits."},
    )


class CustomerIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    email = fields.Email(**_opt, validate=validate.Length(max=320))
    phone = fields.String(
        **_opt, validate=validate.Length(min=3, max=40), metadata={"description": PHONE_HELP}
    )
    notes = fields.String(**_opt, validate=validate.Length(max=5000))
    tags = _tags_field(load_default=list)
    sms_opt_in = fields.Boolean(
        load_default=False, metadata={"description": "Recorded with source `staff` and the time."}
    )
    auto_charge = fields.Boolean(load_default=False)


class NotEmpty(Schema):
    """A PATCH body must change something."""

    OPENAPI_EXTRA = {"minProperties": 1}

    @validates_schema
    def something(self, data, **kwargs):
        if not data:
            raise ValidationError("Give at least one field to change.", "_schema")


class CustomerPatch(NotEmpty):
    name = fields.String(validate=validate.Length(min=1, max=200))
    email = fields.Email(allow_none=True, validate=validate.Length(max=320))
    phone = fields.String(
        allow_none=True,
        validate=validate.Length(min=3, max=40),
        metadata={"description": PHONE_HELP},
    )
    notes = fields.String(allow_none=True, validate=validate.Length(max=5000))
    tags = _tags_field()
    sms_opt_in = fields.Boolean()
    auto_charge = fields.Boolean()


class PropertyFields(NotEmpty):
    address = fields.String(validate=validate.Length(min=1, max=500))
    postal_code = fields.String(allow_none=True, validate=validate.Length(max=16))
    access_notes = fields.String(allow_none=True, validate=_note)
    key_notes = fields.String(allow_none=True, validate=_note)
    parking = fields.String(allow_none=True, validate=_note)
    pets = fields.String(allow_none=True, validate=_note)
    allergies = fields.String(allow_none=True, validate=_note)
    home = fields.Nested(
        EstimateRequestSchema,
        allow_none=True,
        metadata={"description": "The home as an /estimate request (beds, baths, ...)."},
    )
    notes = fields.String(allow_none=True, validate=validate.Length(max=5000))


class PropertyIn(PropertyFields):
    OPENAPI_EXTRA: dict = {}

    address = fields.String(required=True, validate=validate.Length(min=1, max=500))


class PropertyPatch(PropertyFields):
    archived = fields.Boolean(metadata={"description": "true archives, false restores."})


class PropertyOut(Schema):
    id = fields.Integer()
    customer_id = fields.Integer()
    address = fields.String(allow_none=True)
    postal_code = fields.String(allow_none=True)
    access_notes = fields.String(allow_none=True)
    key_notes = fields.String(allow_none=True)
    parking = fields.String(allow_none=True)
    pets = fields.String(allow_none=True)
    allergies = fields.String(allow_none=True)
    home = fields.Dict(allow_none=True)
    notes = fields.String(allow_none=True)
    archived = fields.Function(lambda p: p.archived_at is not None)
    archived_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class PropertyList(Schema):
    items = fields.List(fields.Nested(PropertyOut))


class PropertyListArgs(Schema):
    include_archived = fields.Boolean(load_default=False)
