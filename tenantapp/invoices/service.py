"""Invoices: create (from a booking or by hand), edit drafts, issue, void, send, and the money
that moves against them (payments, refunds, credit notes). SPEC §5.11, docs/invoicing.md.

Every action locks the invoice row, checks the state, changes it and writes its audit entry (and
e-mail) in one transaction. Issued invoices are immutable: only payments, refunds, credit notes
and void change their state, never their lines or totals.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import delete, select

from shared import db
from shared.errors import Conflict, NotFound, field_error
from shared.pagination import decode_cursor, page
from tenantapp.audit.service import record
from tenantapp.bookings.models import Booking
from tenantapp.customers.models import Customer, Property
from tenantapp.invoices import notifications, numbering, tax
from tenantapp.invoices.from_booking import booking_lines
from tenantapp.invoices.models import (
    CreditNote,
    Invoice,
    InvoiceLine,
    InvoicePayment,
    InvoiceRefund,
)
from tenantapp.leads.models import Lead
from tenantapp.pricing.models import PricingConfig
from tenantapp.settings.models import TenantSettings
from tenantapp.settings.service import tenant_zone

OPEN = ("ISSUED", "PARTIALLY_PAID")  # owed money: can be paid, credited, become overdue
SETTLED = ("PAID", "REFUNDED")
NOT_INVOICEABLE = ("CANCELLED", "SKIPPED")


# ------------------------------------------------------------------ helpers
def _settings(sess) -> TenantSettings:
    return sess.get(TenantSettings, 1)


def today() -> date:
    return datetime.now(tenant_zone()).date()


def amount_due(inv: Invoice) -> int:
    """total − credited − paid + refunded; VOID and REFUNDED invoices are never due."""
    if inv.status in ("VOID", "REFUNDED"):
        return 0
    return inv.total_cents - inv.credited_cents - inv.paid_cents + inv.refunded_cents


def days_overdue(inv: Invoice, on: date) -> int:
    if inv.status not in OPEN or inv.due_date is None or amount_due(inv) <= 0:
        return 0
    return max((on - inv.due_date).days, 0)


def settle(inv: Invoice) -> None:
    """The status an issued invoice's money gives it (DRAFT and VOID stay as they are)."""
    if inv.status in ("DRAFT", "VOID"):
        return
    due = inv.total_cents - inv.credited_cents - inv.paid_cents + inv.refunded_cents
    if inv.paid_cents and inv.refunded_cents >= inv.paid_cents and due <= 0:
        inv.status = "REFUNDED"
    elif due <= 0:
        inv.status = "PAID"
    elif inv.paid_cents - inv.refunded_cents > 0:
        inv.status = "PARTIALLY_PAID"
    else:
        inv.status = "ISSUED"


def active_rates(settings: TenantSettings) -> list[tax.Rate]:
    return [tax.Rate.from_dict(r) for r in (settings.tax_rates or []) if r.get("active", True)]


def _locked(tx, invoice_id: int) -> Invoice:
    inv = tx.get(Invoice, invoice_id, with_for_update=True, populate_existing=True)
    if inv is None:
        raise NotFound("No such invoice.")
    return inv


def get_invoice(invoice_id: int) -> Invoice:
    inv = db.session().get(Invoice, invoice_id)
    if inv is None:
        raise NotFound("No such invoice.")
    return inv


def _lines(sess, invoice_id: int) -> list[InvoiceLine]:
    return list(
        sess.scalars(
            select(InvoiceLine)
            .where(InvoiceLine.invoice_id == invoice_id)
            .order_by(InvoiceLine.position)
        )
    )


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
    rates = active_rates(settings)
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


def _summary(inv: Invoice) -> dict:
    return {
        "status": inv.status,
        "number": inv.number,
        "total_cents": inv.total_cents,
        "paid_cents": inv.paid_cents,
        "refunded_cents": inv.refunded_cents,
        "credited_cents": inv.credited_cents,
    }


# ------------------------------------------------------------------ create, edit
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
        record(tx, "invoice.create", "invoice", inv.id, None, _summary(inv))
    return inv


def _new_draft(tx, customer: Customer, booking: Booking | None, lines: list[dict]) -> Invoice:
    settings = _settings(tx)
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
    if due < today():
        raise field_error("due_date", "The due date cannot be in the past.")
    return due


def update_invoice(invoice_id: int, data: dict) -> Invoice:
    """PATCH a DRAFT: lines, notes, due date (an issued invoice → 409); audited."""
    with db.transaction() as tx:
        inv = _locked(tx, invoice_id)
        if inv.status != "DRAFT":
            raise Conflict(
                "An issued invoice cannot be changed: add a credit note, or void it and reissue."
            )
        before = {**_summary(inv), "notes": inv.notes, "due_date": inv.due_date}
        if "lines" in data:
            _write_lines(tx, inv, data["lines"], _settings(tx))
        if "notes" in data:
            inv.notes = data["notes"]
        if "due_date" in data:
            inv.due_date = None if data["due_date"] is None else _check_due_date(data["due_date"])
        after = {**_summary(inv), "notes": inv.notes, "due_date": inv.due_date}
        record(tx, "invoice.update", "invoice", inv.id, before, after)
    return inv


# ------------------------------------------------------------------ issue, void, send
def issue(invoice_id: int) -> Invoice:
    with db.transaction() as tx:
        inv = _locked(tx, invoice_id)
        issue_locked(tx, inv)
    return inv


def issue_locked(tx, inv: Invoice) -> None:
    """DRAFT → ISSUED in ``tx``: figures frozen with today's tax settings, the next gapless
    number, the paid deposit applied, the e-mail queued; audited."""
    if inv.status != "DRAFT":
        raise Conflict(f"A {inv.status} invoice cannot be issued.", code="invalid_transition")
    settings = _settings(tx)
    _recompute(inv, _lines(tx, inv.id), settings)  # drafts follow the settings until issued
    on = today()
    if inv.due_date is not None and inv.due_date < on:
        raise field_error("due_date", "The due date is in the past; change it first.")
    inv.issue_date = on
    inv.due_date = inv.due_date or on + timedelta(days=settings.invoice_due_days)
    prefix = settings.invoice_prefix or "INV-"
    inv.number = numbering.next_number(tx, "invoice", on.year, prefix)
    inv.status, inv.issued_at = "ISSUED", datetime.now(UTC)
    tx.flush()
    _apply_deposit(tx, inv)
    settle(inv)
    record(tx, "invoice.issue", "invoice", inv.id, {"status": "DRAFT"}, _summary(inv))
    notifications.invoice_issued(tx, inv, amount_due(inv))


def _apply_deposit(tx, inv: Invoice) -> None:
    """A paid booking deposit is a payment on the booking's invoice (never a line)."""
    if inv.booking_id is None:
        return
    booking = tx.get(Booking, inv.booking_id)
    if booking.deposit_status not in ("paid", "refunded") or not booking.deposit_amount_cents:
        return
    kept = booking.deposit_amount_cents - booking.refund_cents
    amount = min(kept, amount_due(inv))
    if amount <= 0:
        return
    received = booking.confirmed_at or datetime.now(UTC)
    payment = InvoicePayment(
        invoice_id=inv.id,
        amount_cents=amount,
        method="card",
        source="deposit",
        received_on=received.astimezone(tenant_zone()).date(),
        reference=f"Deposit for booking {booking.id}",
        stripe_payment_intent=booking.deposit_payment_intent_id,
    )
    tx.add(payment)
    inv.paid_cents += amount
    tx.flush()
    record(
        tx,
        "invoice.payment",
        "invoice",
        inv.id,
        None,
        {"payment_id": payment.id, "amount_cents": amount, "method": "card", "source": "deposit"},
    )


def void(invoice_id: int, reason: str) -> Invoice:
    """ISSUED without payments or credit notes → VOID (its number stays used); audited."""
    with db.transaction() as tx:
        inv = _locked(tx, invoice_id)
        if inv.status != "ISSUED" or inv.paid_cents or inv.credited_cents:
            detail = (
                "An invoice with payments or credit notes cannot be voided: refund or credit it."
                if inv.status in ("ISSUED", "PARTIALLY_PAID", "PAID", "REFUNDED")
                else f"A {inv.status} invoice cannot be voided."
            )
            raise Conflict(detail, code="invalid_transition")
        before = _summary(inv)
        inv.status, inv.voided_at, inv.void_reason = "VOID", datetime.now(UTC), reason
        record(tx, "invoice.void", "invoice", inv.id, before, {**_summary(inv), "reason": reason})
    return inv


def send(invoice_id: int) -> Invoice:
    """E-mail the invoice again (each send is one message); a draft → 409."""
    with db.transaction() as tx:
        inv = _locked(tx, invoice_id)
        if inv.status in ("DRAFT", "VOID"):
            raise Conflict(f"A {inv.status} invoice cannot be sent.", code="invalid_transition")
        inv.sent_count += 1
        if not notifications.invoice_issued(tx, inv, amount_due(inv), inv.sent_count):
            raise Conflict("This customer has no e-mail address.")
        record(tx, "invoice.send", "invoice", inv.id, None, {"send": inv.sent_count})
    return inv


# ------------------------------------------------------------------ money
def record_payment(invoice_id: int, data: dict) -> Invoice:
    """A payment staff received (cash, cheque, e-transfer, terminal, other); more than the
    amount due → 422; audited."""
    with db.transaction() as tx:
        inv = _locked(tx, invoice_id)
        if inv.status not in (*OPEN, *SETTLED):
            raise Conflict(
                f"A {inv.status} invoice cannot take payments.", code="invalid_transition"
            )
        due = amount_due(inv)
        if data.get("received_on") and data["received_on"] > today():
            raise field_error("received_on", "A payment cannot be received in the future.")
        if data["amount_cents"] > due:
            raise field_error("amount_cents", f"That is more than the amount due ({due} cents).")
        payment = InvoicePayment(
            invoice_id=inv.id,
            amount_cents=data["amount_cents"],
            method=data["method"],
            source="staff",
            received_on=data.get("received_on") or today(),
            reference=data.get("reference"),
        )
        tx.add(payment)
        before = _summary(inv)
        inv.paid_cents += payment.amount_cents
        settle(inv)
        tx.flush()
        record(
            tx,
            "invoice.payment",
            "invoice",
            inv.id,
            before,
            {**_summary(inv), "payment_id": payment.id, "method": payment.method},
        )
    return inv


def refund(invoice_id: int, data: dict) -> Invoice:
    """Give money back: at most what was paid and not yet refunded (else 422). The refund comes
    with a credit note of the same amount, so nothing becomes due again. Card payments are
    recorded here too; sending them back through Stripe is issue #25's. Audited."""
    with db.transaction() as tx:
        inv = _locked(tx, invoice_id)
        if inv.status not in (*OPEN, *SETTLED):
            raise Conflict(f"A {inv.status} invoice has nothing to refund.")
        refundable = inv.paid_cents - inv.refunded_cents
        amount = data["amount_cents"]
        if amount > refundable:
            raise field_error(
                "amount_cents", f"That is more than was paid and not refunded ({refundable})."
            )
        if amount > inv.total_cents - inv.credited_cents:
            raise field_error("amount_cents", "That is more than is left to credit.")
        before = _summary(inv)
        note = _credit_note(
            tx,
            inv,
            f"Refund: {data['reason']}",
            tax.split_amount(amount, inv.taxes, inv.total_cents),
        )
        payment = _payment_for_refund(tx, inv.id, amount)
        row = InvoiceRefund(
            invoice_id=inv.id,
            payment_id=payment.id if payment else None,
            credit_note_id=note.id,
            amount_cents=amount,
            method=payment.method if payment else "other",
            reason=data["reason"],
            refunded_on=today(),
        )
        tx.add(row)
        if payment is not None:
            payment.refunded_cents += amount
        inv.refunded_cents += amount
        settle(inv)
        tx.flush()
        after = {**_summary(inv), "refund_id": row.id, "credit_note": note.number}
        record(tx, "invoice.refund", "invoice", inv.id, before, after)
    return inv


def _payment_for_refund(tx, invoice_id: int, amount: int) -> InvoicePayment | None:
    """The newest payment that can carry the whole refund (None: spread over several)."""
    return tx.scalar(
        select(InvoicePayment)
        .where(
            InvoicePayment.invoice_id == invoice_id,
            InvoicePayment.amount_cents - InvoicePayment.refunded_cents >= amount,
        )
        .order_by(InvoicePayment.id.desc())
        .limit(1)
        .with_for_update()
    )


def credit_note(invoice_id: int, data: dict) -> CreditNote:
    """A credit note of ``lines`` (taxed with the invoice's frozen rates); at most the amount
    still due (a paid invoice is refunded instead, which makes its own note); audited."""
    with db.transaction() as tx:
        inv = _locked(tx, invoice_id)
        if inv.status not in OPEN:
            raise Conflict(
                f"A {inv.status} invoice cannot be credited"
                + (": refund it instead." if inv.status in SETTLED else "."),
                code="invalid_transition",
            )
        lines, totals = _credit_lines(inv, data["lines"])
        if totals.total_cents <= 0:
            raise field_error("lines", "A credit note must credit more than zero.")
        if totals.total_cents > amount_due(inv):
            raise field_error(
                "lines",
                f"The credit ({totals.total_cents}) is more than the amount due "
                f"({amount_due(inv)}).",
            )
        before = _summary(inv)
        note = _credit_note(
            tx,
            inv,
            data["reason"],
            {
                "subtotal_cents": totals.subtotal_cents,
                "tax_cents": totals.tax_cents,
                "taxes": totals.taxes,
            },
            lines,
        )
        settle(inv)
        record(
            tx,
            "invoice.credit_note",
            "invoice",
            inv.id,
            before,
            {**_summary(inv), "credit_note": note.number, "total_cents": note.total_cents},
        )
    return note


def _credit_lines(inv: Invoice, raw: list[dict]) -> tuple[list[dict], tax.Totals]:
    rates = [tax.Rate.from_dict(r) for r in inv.tax_rates]
    lines, calc = [], []
    for ln in raw:
        quantity = Decimal(str(ln.get("quantity", 1)))
        amount = tax.line_amount(quantity, ln["unit_price_cents"])
        taxable = bool(ln.get("taxable", True)) and ln["kind"] != "tip"
        lines.append(
            {
                "kind": ln["kind"],
                "description": ln["description"],
                "quantity": f"{quantity.normalize():f}",
                "unit_price_cents": ln["unit_price_cents"],
                "amount_cents": amount,
                "taxable": taxable,
            }
        )
        calc.append(tax.Line(ln["kind"], amount, taxable, ln.get("applies_to")))
    return lines, tax.compute(calc, rates, inv.prices_include_tax)


def _credit_note(tx, inv: Invoice, reason: str, figures: dict, lines=None) -> CreditNote:
    on = today()
    total = figures["subtotal_cents"] + figures["tax_cents"]
    if lines is None:
        lines = [
            {
                "kind": "custom",
                "description": reason[:500],
                "quantity": "1",
                "unit_price_cents": figures["subtotal_cents"]
                if not inv.prices_include_tax
                else total,
                "amount_cents": figures["subtotal_cents"] if not inv.prices_include_tax else total,
                "taxable": bool(figures["tax_cents"]),
            }
        ]
    note = CreditNote(
        number=numbering.next_number(tx, "credit_note", on.year, numbering.CREDIT_NOTE_PREFIX),
        invoice_id=inv.id,
        issue_date=on,
        reason=reason[:500],
        lines=lines,
        taxes=figures["taxes"],
        subtotal_cents=figures["subtotal_cents"],
        tax_cents=figures["tax_cents"],
        total_cents=total,
    )
    tx.add(note)
    inv.credited_cents += total
    tx.flush()
    return note


# ------------------------------------------------------------------ booking hook
def on_booking_completed(tx, booking: Booking) -> None:
    """``/complete``: create (``draft``) or create and issue (``issue``) the booking's invoice,
    by the ``invoice_on_complete`` setting; an existing live invoice is kept (a draft issued)."""
    mode = _settings(tx).invoice_on_complete
    if mode == "off":
        return
    inv = tx.scalar(
        select(Invoice)
        .where(Invoice.booking_id == booking.id, Invoice.status != "VOID")
        .with_for_update()
    )
    if inv is None:
        inv = create_for_booking(tx, booking)
        record(tx, "invoice.create", "invoice", inv.id, None, _summary(inv))
    if mode == "issue" and inv.status == "DRAFT":
        issue_locked(tx, inv)


# ------------------------------------------------------------------ reading
def list_invoices(args: dict) -> dict:
    """A page of invoices, newest first, filtered by status, customer, issue date, overdue."""
    stmt = select(Invoice).order_by(Invoice.id.desc())
    stmt = filtered(stmt, args)
    after = decode_cursor(args.get("cursor"), int)
    if after:
        stmt = stmt.where(Invoice.id < after[0])
    rows = list(db.session().scalars(stmt.limit(args["limit"] + 1)))
    result = page(rows, args["limit"], lambda i: [i.id])
    lines = lines_by_invoice(db.session(), [i.id for i in result["items"]])
    on = today()
    result["items"] = [view(i, lines.get(i.id, []), on=on, detail=False) for i in result["items"]]
    return result


def filtered(stmt, args: dict):
    if args.get("status"):
        stmt = stmt.where(Invoice.status == args["status"])
    if args.get("customer_id") is not None:
        stmt = stmt.where(Invoice.customer_id == args["customer_id"])
    if args.get("start"):
        stmt = stmt.where(Invoice.issue_date >= args["start"])
    if args.get("end"):
        stmt = stmt.where(Invoice.issue_date < args["end"])
    if args.get("overdue") is not None:
        late = Invoice.status.in_(OPEN) & (Invoice.due_date < today())
        stmt = stmt.where(late if args["overdue"] else ~late)
    return stmt


def lines_by_invoice(sess, ids: list[int]) -> dict[int, list[InvoiceLine]]:
    out: dict[int, list[InvoiceLine]] = {}
    if ids:
        for ln in sess.scalars(
            select(InvoiceLine)
            .where(InvoiceLine.invoice_id.in_(ids))
            .order_by(InvoiceLine.invoice_id, InvoiceLine.position)
        ):
            out.setdefault(ln.invoice_id, []).append(ln)
    return out


def invoice_view(invoice_id: int) -> dict:
    inv = get_invoice(invoice_id)
    return view(inv, _lines(db.session(), inv.id))


def quantity_text(q: Decimal) -> str:
    return f"{Decimal(q).normalize():f}"


def view(inv: Invoice, lines: list[InvoiceLine], *, on: date | None = None, detail=True) -> dict:
    """The SPEC §5.11 invoice response (payments, refunds and credit notes with ``detail``)."""
    on = on or today()
    late = days_overdue(inv, on)
    out = {
        "id": inv.id,
        "number": inv.number,
        "status": inv.status,
        "customer_id": inv.customer_id,
        "booking_id": inv.booking_id,
        "issue_date": inv.issue_date,
        "due_date": inv.due_date,
        "currency": inv.currency,
        "prices_include_tax": inv.prices_include_tax,
        "lines": [
            {
                "id": ln.id,
                "kind": ln.kind,
                "description": ln.description,
                "quantity": quantity_text(ln.quantity),
                "unit_price_cents": ln.unit_price_cents,
                "amount_cents": ln.amount_cents,
                "taxable": ln.taxable,
                "applies_to": ln.applies_to,
            }
            for ln in lines
        ],
        "subtotal_cents": inv.subtotal_cents,
        "tax_cents": inv.tax_cents,
        "taxes": [
            {k: t[k] for k in ("code", "name", "rate", "taxable_cents", "tax_cents")}
            for t in inv.taxes
        ],
        "total_cents": inv.total_cents,
        "paid_cents": inv.paid_cents,
        "refunded_cents": inv.refunded_cents,
        "credited_cents": inv.credited_cents,
        "amount_due_cents": amount_due(inv),
        "overdue": late > 0,
        "days_overdue": late,
        "pay_url": inv.pay_url,
        "bill_to": inv.bill_to,
        "notes": inv.notes,
        "void_reason": inv.void_reason,
        "created_at": inv.created_at,
        "issued_at": inv.issued_at,
    }
    if detail:
        sess = db.session()
        out["payments"] = list(
            sess.scalars(
                select(InvoicePayment)
                .where(InvoicePayment.invoice_id == inv.id)
                .order_by(InvoicePayment.id)
            )
        )
        out["refunds"] = list(
            sess.scalars(
                select(InvoiceRefund)
                .where(InvoiceRefund.invoice_id == inv.id)
                .order_by(InvoiceRefund.id)
            )
        )
        out["credit_notes"] = list(
            sess.scalars(
                select(CreditNote).where(CreditNote.invoice_id == inv.id).order_by(CreditNote.id)
            )
        )
    return out
