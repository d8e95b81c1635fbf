"""Invoices: create (from a booking or by hand), edit drafts, issue, void, send, and the booking's
``/complete`` step. The money is ``money.py``, reading ``reading.py``. SPEC §5.11,
docs/invoicing.md.

Every action locks the invoice row, checks the state, changes it and writes its audit entry (and
e-mail) in one transaction. Issued invoices are immutable: only payments, refunds, credit notes
and void change their state, never their lines or totals.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import delete, select

from shared import db
from shared.errors import Conflict, field_error
from tenantapp.audit.service import record
from tenantapp.bookings.models import Booking
from tenantapp.customers.models import Customer, Property
from tenantapp.invoices import autocharge, dunning, money, notifications, numbering, state, tax
from tenantapp.invoices.from_booking import booking_lines
from tenantapp.invoices.models import (
    Invoice,
    InvoiceLine,
)
from tenantapp.leads.models import Lead
from tenantapp.pricing.models import PricingConfig
from tenantapp.settings.models import TenantSettings

NOT_INVOICEABLE = ("CANCELLED", "SKIPPED")


def _address_of(sess, customer_id: int, booking: Booking | None) -> tuple[str | None, str | None]:
    """The service address: the booking's property, else its lead's address, else the
    customer's latest property (then lead) with one."""
    prop = None
    if booking is not None and booking.property_id is not None:
        prop = sess.get(Property, booking.property_id)
    if prop is not None and prop.address:
        return prop.address, prop.postal_code
    lead = sess.get(Lead, booking.lead_id) if booking is not None and booking.lead_id else None
    if lead is not None and lead.address:
        return lead.address, lead.postal_code
    if booking is None:
        prop = sess.scalar(
            select(Property)
            .where(
                Property.customer_id == customer_id,
                Property.address.isnot(None),
                Property.archived_at.is_(None),
            )
            .order_by(Property.id.desc())
            .limit(1)
        )
        if prop is not None:
            return prop.address, prop.postal_code
    lead = sess.scalar(
        select(Lead)
        .where(Lead.customer_id == customer_id, Lead.address.isnot(None))
        .order_by(Lead.id.desc())
        .limit(1)
    )
    return (lead.address, lead.postal_code) if lead is not None else (None, None)


def _bill_to(sess, customer: Customer, booking: Booking | None) -> dict:
    address, postal = _address_of(sess, customer.id, booking)
    return {
        "name": customer.name,
        "email": customer.email,
        "phone": customer.phone,
        "address": address,
        "postal_code": postal,
    }


def _seller(settings: TenantSettings, rates: list[tax.Rate]) -> dict:
    return {
        "company_name": settings.company_name,
        "contact_email": settings.contact_email,
        "tax_number": settings.tax_number,
        "registrations": [
            {"code": r.code, "registration_number": r.registration_number}
            for r in rates
            if r.registration_number
        ],
    }


def _write_lines(tx, inv: Invoice, lines: list[dict], settings: TenantSettings) -> None:
    """Replace the draft's lines and recompute its figures with the current tax settings."""
    tx.execute(delete(InvoiceLine).where(InvoiceLine.invoice_id == inv.id))
    rows = []
    for position, ln in enumerate(lines, start=1):
        quantity = Decimal(str(ln.get("quantity", 1)))
        taxable = bool(ln.get("taxable", True)) and ln["kind"] != "tip"
        row = InvoiceLine(
            invoice_id=inv.id,
            position=position,
            kind=ln["kind"],
            description=ln["description"],
            quantity=quantity,
            unit_price_cents=ln["unit_price_cents"],
            amount_cents=tax.line_amount(quantity, ln["unit_price_cents"]),
            taxable=taxable,
            applies_to=ln.get("applies_to"),
        )
        tx.add(row)
        rows.append(row)
    _recompute(inv, rows, settings)


def _recompute(inv: Invoice, rows: list[InvoiceLine], settings: TenantSettings) -> None:
    rates = state.active_rates(settings)
    totals = tax.compute(
        [tax.Line(r.kind, r.amount_cents, r.taxable, r.applies_to) for r in rows],
        rates,
        settings.prices_include_tax,
    )
    if totals.subtotal_cents < 0 or totals.total_cents < 0:
        raise field_error("lines", "The lines add up to less than zero.")
    inv.prices_include_tax = settings.prices_include_tax
    inv.tax_rates = [r.snapshot() for r in rates]
    inv.taxes = totals.taxes
    inv.subtotal_cents, inv.tax_cents = totals.subtotal_cents, totals.tax_cents
    inv.total_cents = totals.total_cents
    inv.footer = settings.invoice_footer
    inv.seller = _seller(settings, rates)


def create_invoice(data: dict) -> Invoice:
    """A DRAFT from ``{booking_id}`` or from ``{customer_id, lines}`` (audited)."""
    with db.transaction() as tx:
        if data.get("booking_id") is not None:
            booking = tx.get(Booking, data["booking_id"], with_for_update=True)
            if booking is None:
                raise field_error("booking_id", "No such booking.")
            inv = create_for_booking(tx, booking)
        else:
            customer = tx.get(Customer, data["customer_id"])
            if customer is None:
                raise field_error("customer_id", "No such customer.")
            inv = _new_draft(tx, customer, None, data["lines"])
        if data.get("notes") is not None:
            inv.notes = data["notes"]
        if data.get("due_date") is not None:
            inv.due_date = _check_due_date(data["due_date"])
        record(tx, "invoice.create", "invoice", inv.id, None, state.summary(inv))
    return inv


def _new_draft(tx, customer: Customer, booking: Booking | None, lines: list[dict]) -> Invoice:
    settings = state.settings_row(tx)
    inv = Invoice(
        status="DRAFT",
        customer_id=customer.id,
        booking_id=booking.id if booking is not None else None,
        currency=_currency(tx),
        bill_to=_bill_to(tx, customer, booking),
    )
    tx.add(inv)
    tx.flush()
    _write_lines(tx, inv, lines, settings)
    tx.flush()
    return inv


def _currency(tx) -> str:
    cfg = tx.scalar(select(PricingConfig).order_by(PricingConfig.version.desc()).limit(1))
    return (cfg.config.get("currency") if cfg else None) or "CAD"


def create_for_booking(tx, booking: Booking) -> Invoice:
    """The booking's DRAFT invoice, in ``tx`` (the booking row locked by the caller)."""
    if booking.status in NOT_INVOICEABLE:
        raise Conflict(f"A {booking.status} booking cannot be invoiced.")
    existing = tx.scalar(
        select(Invoice.id).where(Invoice.booking_id == booking.id, Invoice.status != "VOID")
    )
    if existing is not None:
        raise Conflict(
            f"Booking {booking.id} already has invoice {existing}; void it first.",
            invoice_id=existing,
        )
    customer = tx.get(Customer, booking.customer_id)
    return _new_draft(tx, customer, booking, booking_lines(tx, booking))


def _check_due_date(due: date) -> date:
    if due < state.today():
        raise field_error("due_date", "The due date cannot be in the past.")
    return due


def update_invoice(invoice_id: int, data: dict) -> Invoice:
    """PATCH a DRAFT: lines, notes, due date (an issued invoice → 409); audited."""
    with db.transaction() as tx:
        inv = state.locked(tx, invoice_id)
        if inv.status != "DRAFT":
            raise Conflict(
                "An issued invoice cannot be changed: add a credit note, or void it and reissue."
            )
        before = {**state.summary(inv), "notes": inv.notes, "due_date": inv.due_date}
        if "lines" in data:
            _write_lines(tx, inv, data["lines"], state.settings_row(tx))
        if "notes" in data:
            inv.notes = data["notes"]
        if "due_date" in data:
            inv.due_date = None if data["due_date"] is None else _check_due_date(data["due_date"])
        after = {**state.summary(inv), "notes": inv.notes, "due_date": inv.due_date}
        record(tx, "invoice.update", "invoice", inv.id, before, after)
    return inv


def issue(invoice_id: int) -> Invoice:
    with db.transaction() as tx:
        inv = state.locked(tx, invoice_id)
        issue_locked(tx, inv)
    return inv


def issue_locked(tx, inv: Invoice) -> None:
    """DRAFT → ISSUED in ``tx``: figures frozen with today's tax settings, the next gapless
    number, the paid deposit applied, the e-mail queued; audited."""
    if inv.status != "DRAFT":
        raise Conflict(f"A {inv.status} invoice cannot be issued.", code="invalid_transition")
    settings = state.settings_row(tx)
    _recompute(inv, state.lines_of(tx, inv.id), settings)  # drafts follow the settings until issued
    on = state.today()
    if inv.due_date is not None and inv.due_date < on:
        raise field_error("due_date", "The due date is in the past; change it first.")
    inv.issue_date = on
    inv.due_date = inv.due_date or on + timedelta(days=settings.invoice_due_days)
    prefix = settings.invoice_prefix or "INV-"
    inv.number = numbering.next_number(tx, "invoice", on.year, prefix)
    inv.status, inv.issued_at = "ISSUED", datetime.now(UTC)
    tx.flush()
    money.apply_deposit(tx, inv)
    state.settle(inv)
    record(tx, "invoice.issue", "invoice", inv.id, {"status": "DRAFT"}, state.summary(inv))
    notifications.invoice_issued(tx, inv, state.amount_due(inv))
    autocharge.schedule(tx, inv)  # the card on file, when the customer pays that way
    dunning.schedule(tx, inv)


def void(invoice_id: int, reason: str) -> Invoice:
    """ISSUED without payments or credit notes → VOID (its number stays used); audited."""
    with db.transaction() as tx:
        inv = state.locked(tx, invoice_id)
        if inv.status != "ISSUED" or inv.paid_cents or inv.credited_cents:
            detail = (
                "An invoice with payments or credit notes cannot be voided: refund or credit it."
                if inv.status in ("ISSUED", "PARTIALLY_PAID", "PAID", "REFUNDED")
                else f"A {inv.status} invoice cannot be voided."
            )
            raise Conflict(detail, code="invalid_transition")
        before = state.summary(inv)
        inv.status, inv.voided_at, inv.void_reason = "VOID", datetime.now(UTC), reason
        record(
            tx, "invoice.void", "invoice", inv.id, before, {**state.summary(inv), "reason": reason}
        )
    return inv


def send(invoice_id: int) -> Invoice:
    """E-mail the invoice again (each send is one message); a draft → 409."""
    with db.transaction() as tx:
        inv = state.locked(tx, invoice_id)
        if inv.status in ("DRAFT", "VOID"):
            raise Conflict(f"A {inv.status} invoice cannot be sent.", code="invalid_transition")
        inv.sent_count += 1
        if not notifications.invoice_issued(tx, inv, state.amount_due(inv), inv.sent_count):
            raise Conflict("This customer has no e-mail address.")
        record(tx, "invoice.send", "invoice", inv.id, None, {"send": inv.sent_count})
    return inv


def on_booking_completed(tx, booking: Booking) -> None:
    """``/complete``: create (``draft``) or create and issue (``issue``) the booking's invoice,
    by the ``invoice_on_complete`` setting; an existing live invoice is kept (a draft issued)."""
    mode = state.settings_row(tx).invoice_on_complete
    if mode == "off":
        return
    inv = tx.scalar(
        select(Invoice)
        .where(Invoice.booking_id == booking.id, Invoice.status != "VOID")
        .with_for_update()
    )
    if inv is None:
        inv = create_for_booking(tx, booking)
        record(tx, "invoice.create", "invoice", inv.id, None, state.summary(inv))
    if mode == "issue" and inv.status == "DRAFT":
        issue_locked(tx, inv)
