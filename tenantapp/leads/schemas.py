from marshmallow import Schema, fields, validate

from shared.pagination import PageArgs, page_schema
from tenantapp.customers.schemas import CustomerOut, PropertyOut
from tenantapp.leads.models import LEAD_STATUSES
from tenantapp.pricing.schemas import EstimateRequestSchema, StrictBoolean

_text = {"load_default": None, "allow_none": True}


class LeadIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    phone = fields.String(required=True, validate=validate.Length(min=3, max=40))
    email = fields.Email(**_text, validate=validate.Length(max=320))
    postal_code = fields.String(**_text, validate=validate.Length(max=16))
    address = fields.String(**_text, validate=validate.Length(max=500))
    preferred_dates = fields.List(
        fields.Date(), load_default=list, validate=validate.Length(max=14)
    )
    access_notes = fields.String(**_text, validate=validate.Length(max=500))
    parking = fields.String(**_text, validate=validate.Length(max=500))
    pets = fields.String(**_text, validate=validate.Length(max=500))
    allergies = fields.String(**_text, validate=validate.Length(max=500))
    notes = fields.String(**_text, validate=validate.Length(max=500))
    estimate_request = fields.Nested(EstimateRequestSchema, required=True)
    utm_source = fields.String(**_text, validate=validate.Length(max=200))
    utm_medium = fields.String(**_text, validate=validate.Length(max=200))
    utm_campaign = fields.String(**_text, validate=validate.Length(max=200))
    utm_term = fields.String(**_text, validate=validate.Length(max=200))
    utm_content = fields.String(**_text, validate=validate.Length(max=200))
    referrer = fields.String(**_text, validate=validate.Length(max=2000))
    referral_code = fields.String(**_text, validate=validate.Regexp(r"^[A-Za-z0-9]{8}$"))
    captcha_token = fields.String(**_text, validate=validate.Length(max=4096))
    sms_opt_in = StrictBoolean(
        load_default=False,
        metadata={
            "description": 'The booking page\'s "Text me about my booking" (consent to SMS).'
        },
    )


class LeadCreated(Schema):
    lead_id = fields.Integer()
    lead_token = fields.String(
        metadata={
            "description": "The caller's proof of this lead (256 random bits, shown once, stored "
            "hashed): send it with lead_id to GET /slots and POST /bookings."
        }
    )
    referral_code = fields.String()
    estimate = fields.Dict()


class LeadOut(Schema):
    id = fields.Integer()
    customer_id = fields.Integer()
    property_id = fields.Integer(allow_none=True)
    status = fields.String()
    name = fields.String()
    phone = fields.String()
    email = fields.String(allow_none=True)
    postal_code = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    preferred_dates = fields.List(fields.String())
    access_notes = fields.String(allow_none=True)
    parking = fields.String(allow_none=True)
    pets = fields.String(allow_none=True)
    allergies = fields.String(allow_none=True)
    notes = fields.String(allow_none=True)
    estimate_request = fields.Dict()
    estimate = fields.Dict()
    utm = fields.Dict()
    referrer = fields.String(allow_none=True)
    referral_code = fields.String()
    referred_by_code = fields.String(allow_none=True)
    sms_opt_in = fields.Boolean()
    created_at = fields.DateTime()


class CreditOut(Schema):
    id = fields.Integer()
    referred_customer_id = fields.Integer()
    amount_cents = fields.Integer()
    created_at = fields.DateTime()
    redeemed_booking_id = fields.Integer(allow_none=True)
    redeemed_at = fields.DateTime(allow_none=True)


class LeadDetail(Schema):
    lead = fields.Nested(LeadOut)
    credits = fields.List(fields.Nested(CreditOut))
    bookings = fields.List(fields.Dict())


class LeadListArgs(PageArgs):
    status = fields.String(load_default=None, validate=validate.OneOf(LEAD_STATUSES))
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "csv"]))
    start = fields.Date(data_key="from", load_default=None)
    end = fields.Date(data_key="to", load_default=None)


LeadPage = page_schema(LeadOut, "LeadPage")


class StatusIn(Schema):
    status = fields.String(required=True, validate=validate.OneOf(LEAD_STATUSES))


class _Named(Schema):
    id = fields.Integer()
    name = fields.String(allow_none=True)


class _VisitProperty(Schema):
    id = fields.Integer()
    address = fields.String(allow_none=True)


class CustomerVisit(Schema):
    """A visit on the customer's page (``bookings.visits``)."""

    id = fields.Integer()
    when = fields.String(metadata={"enum": ["upcoming", "past"]})
    starts_at = fields.DateTime()
    starts_at_local = fields.DateTime()
    duration_minutes = fields.Integer()
    service_type = fields.String()
    status = fields.String()
    property = fields.Nested(_VisitProperty, allow_none=True)
    team = fields.Nested(_Named, allow_none=True)
    crew = fields.List(fields.Nested(_Named))
    plan_id = fields.Integer(allow_none=True)
    total_cents = fields.Integer(allow_none=True)


class CustomerDetail(CustomerOut):
    properties = fields.List(fields.Nested(PropertyOut))
    leads = fields.List(fields.Nested(LeadOut))
    credits = fields.List(fields.Nested(CreditOut))
    bookings = fields.List(
        fields.Nested(CustomerVisit),
        metadata={
            "description": "Up to 10 upcoming visits (soonest first), then up to 10 past "
            "ones (newest first)."
        },
    )
    bookings_more = fields.Boolean(metadata={"description": "More visits than listed here."})
    bookings_url = fields.String(
        metadata={"description": "Every visit: the bookings list filtered by this customer."}
    )
