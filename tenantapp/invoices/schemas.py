from decimal import Decimal, InvalidOperation

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from shared.pagination import PageArgs
from tenantapp.invoices.models import INVOICE_STATUSES, LINE_KINDS, STAFF_PAYMENT_METHODS

MAX_LINES = 100
MAX_UNIT_CENTS = 100_000_000  # one million in currency units
MAX_QUANTITY = Decimal(10_000)


class Quantity(fields.Field):
    """A number or decimal string, > 0, at most two places (``2``, ``1.5``, ``"0.25"``)."""

    def _deserialize(self, value, attr, data, **kwargs) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ValidationError("A number or a decimal string.")
        try:
            quantity = Decimal(str(value))
        except InvalidOperation as exc:
            raise ValidationError("A number or a decimal string.") from exc
        if not quantity.is_finite() or quantity <= 0 or quantity > MAX_QUANTITY:
            raise ValidationError(f"Greater than 0 and at most {MAX_QUANTITY}.")
        if quantity != quantity.quantize(Decimal("0.01")):
            raise ValidationError("At most two decimal places.")
        return quantity

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else str(value)


class LineIn(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(LINE_KINDS))
    description = fields.String(required=True, validate=validate.Length(min=1, max=500))
    quantity = Quantity(load_default=Decimal(1), metadata={"type": "string", "example": "1.5"})
    unit_price_cents = fields.Integer(
        required=True, strict=True, validate=validate.Range(-MAX_UNIT_CENTS, MAX_UNIT_CENTS)
    )
    taxable = fields.Boolean(load_default=True)

    @validates_schema
    def sign(self, data, **kwargs):
        if data["kind"] == "discount" and data["unit_price_cents"] > 0:
            raise ValidationError("A discount is negative.", "unit_price_cents")
        if data["kind"] != "discount" and data["unit_price_cents"] < 0:
            raise ValidationError("Only a discount line may be negative.", "unit_price_cents")


class InvoiceCreate(Schema):
    booking_id = fields.Integer(strict=True, validate=validate.Range(min=1))
    customer_id = fields.Integer(strict=True, validate=validate.Range(min=1))
    lines = fields.List(fields.Nested(LineIn), validate=validate.Length(min=1, max=MAX_LINES))
    notes = fields.String(allow_none=True, validate=validate.Length(max=2000))
    due_date = fields.Date(allow_none=True)

    @validates_schema
    def one_source(self, data, **kwargs):
        if "booking_id" in data:
            if "customer_id" in data or "lines" in data:
                raise ValidationError("Give booking_id, or customer_id with lines.", "booking_id")
        elif "customer_id" not in data or "lines" not in data:
            raise ValidationError("Give booking_id, or customer_id with lines.", "customer_id")

    OPENAPI_EXTRA = {"minProperties": 1}


class InvoicePatch(Schema):
    lines = fields.List(fields.Nested(LineIn), validate=validate.Length(min=1, max=MAX_LINES))
    notes = fields.String(allow_none=True, validate=validate.Length(max=2000))
    due_date = fields.Date(allow_none=True)


class VoidIn(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class PaymentIn(Schema):
    amount_cents = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=1, max=MAX_UNIT_CENTS)
    )
    method = fields.String(required=True, validate=validate.OneOf(STAFF_PAYMENT_METHODS))
    received_on = fields.Date(load_default=None)
    reference = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))


class RefundIn(Schema):
    amount_cents = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=1, max=MAX_UNIT_CENTS)
    )
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class CreditNoteIn(Schema):
    lines = fields.List(
        fields.Nested(LineIn), required=True, validate=validate.Length(min=1, max=MAX_LINES)
    )
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class InvoiceListArgs(PageArgs):
    status = fields.String(load_default=None, validate=validate.OneOf(INVOICE_STATUSES))
    customer_id = fields.Integer(load_default=None, validate=validate.Range(min=1))
    start = fields.Date(data_key="from", load_default=None)
    end = fields.Date(data_key="to", load_default=None)
    overdue = fields.Boolean(load_default=None, allow_none=True)
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "csv"]))


class LineOut(Schema):
    id = fields.Integer()
    kind = fields.String()
    description = fields.String()
    quantity = fields.String()
    unit_price_cents = fields.Integer()
    amount_cents = fields.Integer()
    taxable = fields.Boolean()
    applies_to = fields.String(allow_none=True)


class TaxOut(Schema):
    code = fields.String()
    name = fields.String()
    rate = fields.String()
    taxable_cents = fields.Integer()
    tax_cents = fields.Integer()


class PaymentOut(Schema):
    id = fields.Integer()
    amount_cents = fields.Integer()
    method = fields.String()
    source = fields.String()
    received_on = fields.Date()
    reference = fields.String(allow_none=True)
    stripe_payment_intent = fields.String(allow_none=True)
    stripe_charge_id = fields.String(allow_none=True)
    refunded_cents = fields.Integer()


class RefundOut(Schema):
    id = fields.Integer()
    payment_id = fields.Integer(allow_none=True)
    credit_note_id = fields.Integer(allow_none=True)
    amount_cents = fields.Integer()
    method = fields.String()
    reason = fields.String()
    refunded_on = fields.Date()
    stripe_refund_id = fields.String(allow_none=True)


class CreditNoteOut(Schema):
    id = fields.Integer()
    number = fields.String()
    invoice_id = fields.Integer()
    issue_date = fields.Date()
    reason = fields.String()
    lines = fields.List(fields.Dict())
    taxes = fields.List(fields.Nested(TaxOut))
    subtotal_cents = fields.Integer()
    tax_cents = fields.Integer()
    total_cents = fields.Integer()


class BillTo(Schema):
    name = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    postal_code = fields.String(allow_none=True)


class InvoiceOut(Schema):
    id = fields.Integer()
    number = fields.String(allow_none=True)
    status = fields.String()
    customer_id = fields.Integer()
    booking_id = fields.Integer(allow_none=True)
    issue_date = fields.Date(allow_none=True)
    due_date = fields.Date(allow_none=True)
    currency = fields.String()
    prices_include_tax = fields.Boolean()
    lines = fields.List(fields.Nested(LineOut))
    subtotal_cents = fields.Integer()
    tax_cents = fields.Integer()
    taxes = fields.List(fields.Nested(TaxOut))
    total_cents = fields.Integer()
    paid_cents = fields.Integer()
    refunded_cents = fields.Integer()
    credited_cents = fields.Integer()
    amount_due_cents = fields.Integer()
    overdue = fields.Boolean()
    days_overdue = fields.Integer()
    pay_url = fields.String(allow_none=True)
    disputed = fields.Boolean()
    bill_to = fields.Nested(BillTo)
    notes = fields.String(allow_none=True)
    void_reason = fields.String(allow_none=True)
    created_at = fields.DateTime()
    issued_at = fields.DateTime(allow_none=True)
    payments = fields.List(fields.Nested(PaymentOut))
    refunds = fields.List(fields.Nested(RefundOut))
    credit_notes = fields.List(fields.Nested(CreditNoteOut))


class InvoicePage(Schema):
    items = fields.List(fields.Nested(InvoiceOut))
    next_cursor = fields.String(allow_none=True)


class TokenArgs(Schema):
    token = fields.String(required=True, validate=validate.Length(max=500))


class PublicPaymentOut(Schema):
    received_on = fields.Date()
    method = fields.String()
    amount_cents = fields.Integer()
    refunded_cents = fields.Integer()


class PublicCreditNoteOut(Schema):
    number = fields.String()
    issue_date = fields.Date()
    reason = fields.String()
    total_cents = fields.Integer()


class InvoiceCompanyOut(Schema):
    name = fields.String()
    brand_color = fields.String(allow_none=True)
    brand_text_color = fields.String(allow_none=True)
    logo_url = fields.String(allow_none=True)
    contact_email = fields.String(allow_none=True)
    contact_phone = fields.String(allow_none=True)
    tax_number = fields.String(allow_none=True)
    registrations = fields.List(fields.Dict())


class PublicInvoiceOut(Schema):
    """What the customer's invoice page shows (no staff-only fields)."""

    id = fields.Integer()
    number = fields.String(allow_none=True)
    status = fields.String()
    issue_date = fields.Date(allow_none=True)
    due_date = fields.Date(allow_none=True)
    currency = fields.String()
    prices_include_tax = fields.Boolean()
    lines = fields.List(fields.Nested(LineOut))
    subtotal_cents = fields.Integer()
    tax_cents = fields.Integer()
    taxes = fields.List(fields.Nested(TaxOut))
    total_cents = fields.Integer()
    paid_cents = fields.Integer()
    refunded_cents = fields.Integer()
    credited_cents = fields.Integer()
    amount_due_cents = fields.Integer()
    overdue = fields.Boolean()
    days_overdue = fields.Integer()
    bill_to = fields.Nested(BillTo)
    notes = fields.String(allow_none=True)
    footer = fields.String(allow_none=True)
    payments = fields.List(fields.Nested(PublicPaymentOut))
    credit_notes = fields.List(fields.Nested(PublicCreditNoteOut))
    company = fields.Nested(InvoiceCompanyOut)
    can_pay = fields.Boolean()
    pay_url = fields.String(allow_none=True)
    pdf_url = fields.String()


class InvoiceCheckoutOut(Schema):
    checkout_url = fields.String()
