"""The money that moves against an issued invoice: payments (staff's, and the booking deposit
applied at issue), refunds (each with its credit note) and credit notes. Audited."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import select

from shared import db
from shared.errors import Conflict, field_error
from tenantapp.audit.service import record
from tenantapp.bookings.models import Booking
from tenantapp.invoices import numbering, state, tax
from tenantapp.invoices.models import CreditNote, Invoice, InvoicePayment, InvoiceRefund
from tenantapp.payments import stripe_connect
from tenantapp.settings.service import tenant_zone


def apply_deposit(tx, inv: Invoice) -> None:
    """A paid booking deposit is a payment on the booking's invoice (never a line)."""
    if inv.booking_id is None:
        return
    booking = tx.get(Booking, inv.booking_id)
    if booking.deposit_status not in ("paid", "refunded") or not booking.deposit_amount_cents:
        return
    kept = booking.deposit_amount_cents - booking.refund_cents
    amount = min(kept, state.amount_due(inv))
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


def record_payment(invoice_id: int, data: dict) -> Invoice:
    """A payment staff received (cash, cheque, e-transfer, terminal, other); more than the
    amount due → 422; audited."""
    with db.transaction() as tx:
        inv = state.locked(tx, invoice_id)
        if inv.status not in (*state.OPEN, *state.SETTLED):
            raise Conflict(
                f"A {inv.status} invoice cannot take payments.", code="invalid_transition"
            )
        due = state.amount_due(inv)
        if data.get("received_on") and data["received_on"] > state.today():
            raise field_error("received_on", "A payment cannot be received in the future.")
        if data["amount_cents"] > due:
            raise field_error("amount_cents", f"That is more than the amount due ({due} cents).")
        add_payment(
            tx,
            inv,
            InvoicePayment(
                amount_cents=data["amount_cents"],
                method=data["method"],
                source="staff",
                received_on=data.get("received_on") or state.today(),
                reference=data.get("reference"),
            ),
        )
    return inv


def add_payment(tx, inv: Invoice, payment: InvoicePayment) -> InvoicePayment:
    """Put ``payment`` on ``inv`` (locked): the paid sum, the status from the money, audited."""
    payment.invoice_id = inv.id
    tx.add(payment)
    before = state.summary(inv)
    inv.paid_cents += payment.amount_cents
    state.settle(inv)
    tx.flush()
    after = {**state.summary(inv), "payment_id": payment.id, "method": payment.method}
    if payment.source != "staff":
        after["source"] = payment.source
    record(tx, "invoice.payment", "invoice", inv.id, before, after)
    return payment


def refund(invoice_id: int, data: dict, request_key: str | None = None) -> Invoice:
    """Give money back: at most what was paid and not yet refunded (else 422). The refund comes
    with a credit note of the same amount, so nothing becomes due again. It is taken from the
    newest payments first; a card payment's share goes back to the card through Stripe (on the
    connected account) before anything is written, under the invoice's lock: Stripe refusing or
    down → 503 and nothing recorded. The Stripe idempotency key comes from the request's
    Idempotency-Key, so a retry after a timeout gets the refund Stripe already made (recorded
    once, even if its ``charge.refunded`` got here first). Audited."""
    with db.transaction() as tx:
        inv = state.locked(tx, invoice_id)
        if inv.status not in (*state.OPEN, *state.SETTLED):
            raise Conflict(f"A {inv.status} invoice has nothing to refund.")
        refundable = inv.paid_cents - inv.refunded_cents
        amount = data["amount_cents"]
        if amount > refundable:
            raise field_error(
                "amount_cents", f"That is more than was paid and not refunded ({refundable})."
            )
        if amount > inv.total_cents - inv.credited_cents:
            raise field_error("amount_cents", "That is more than is left to credit.")
        shares = _allocate(tx, inv.id, amount)
        account = state.settings_row(tx).stripe_account_id
        sent = {}
        for payment, share in shares:
            if payment is not None and payment.method == "card" and payment.stripe_payment_intent:
                if not account:
                    raise Conflict("The Stripe account that took this card payment is gone.")
                sent[payment.id] = stripe_connect.refund_payment(
                    account,
                    payment.stripe_payment_intent,
                    share,
                    f"invoice-refund:{payment.id}:{request_key}"
                    if request_key
                    else f"invoice-refund:{payment.id}:{payment.refunded_cents}:{share}",
                    {"invoice_id": str(inv.id), "reason": data["reason"][:200]},
                ).id
        refund_locked(
            tx,
            inv,
            [(p, share, sent.get(p.id) if p is not None else None) for p, share in shares],
            data["reason"],
        )
    return inv


def _allocate(tx, invoice_id: int, amount: int) -> list[tuple[InvoicePayment | None, int]]:
    """Split a refund over the payments, newest first (what each has not had back)."""
    shares: list[tuple[InvoicePayment | None, int]] = []
    left = amount
    for payment in tx.scalars(
        select(InvoicePayment)
        .where(
            InvoicePayment.invoice_id == invoice_id,
            InvoicePayment.amount_cents > InvoicePayment.refunded_cents,
        )
        .order_by(InvoicePayment.id.desc())
        .with_for_update()
    ):
        if left <= 0:
            break
        share = min(left, payment.amount_cents - payment.refunded_cents)
        shares.append((payment, share))
        left -= share
    if left > 0:  # paid_cents from rows written before payments were itemised
        shares.append((None, left))
    return shares


def refund_locked(
    tx, inv: Invoice, shares: list[tuple[InvoicePayment | None, int, str | None]], reason: str
) -> CreditNote | None:
    """Record a refund on ``inv`` (locked): one credit note of the whole amount (its tax split
    like the invoice's) and one refund row per payment share (with its Stripe refund id)."""
    known = {
        rid
        for rid in tx.scalars(
            select(InvoiceRefund.stripe_refund_id).where(
                InvoiceRefund.stripe_refund_id.in_([r for _, _, r in shares if r])
            )
        )
    }
    shares = [s for s in shares if not (s[2] and s[2] in known)]  # recorded by the webhook
    amount = sum(share for _, share, _ in shares)
    if amount <= 0:
        return None
    before = state.summary(inv)
    note = _credit_note(
        tx,
        inv,
        f"Refund: {reason}",
        tax.split_amount(amount, inv.taxes, inv.total_cents),
    )
    rows = []
    for payment, share, stripe_refund_id in shares:
        row = InvoiceRefund(
            invoice_id=inv.id,
            payment_id=payment.id if payment else None,
            credit_note_id=note.id,
            amount_cents=share,
            method=payment.method if payment else "other",
            reason=reason[:500],
            refunded_on=state.today(),
            stripe_refund_id=stripe_refund_id,
        )
        tx.add(row)
        rows.append(row)
        if payment is not None:
            payment.refunded_cents += share
    inv.refunded_cents += amount
    state.settle(inv)
    tx.flush()
    after = {
        **state.summary(inv),
        "refund_ids": [r.id for r in rows],
        "credit_note": note.number,
        "stripe_refund_ids": [r.stripe_refund_id for r in rows if r.stripe_refund_id],
    }
    record(tx, "invoice.refund", "invoice", inv.id, before, after)
    return note


def chargeback_locked(
    tx, inv: Invoice, payment: InvoicePayment, amount: int, dispute_id: str
) -> InvoiceRefund | None:
    """Record a lost card dispute on ``inv`` (locked): the bank gave ``amount`` of ``payment``
    back to the customer. It is a refund row with no credit note, so the invoice owes that money
    again (PAID → PARTIALLY_PAID or ISSUED) and its payment cannot be refunded a second time.
    At most what is left of the payment; once per dispute (None when already recorded or
    nothing is left). Audited as ``invoice.chargeback``."""
    if tx.scalar(select(InvoiceRefund.id).where(InvoiceRefund.stripe_refund_id == dispute_id)):
        return None
    amount = min(amount, payment.amount_cents - payment.refunded_cents)
    if amount <= 0:
        return None
    before = state.summary(inv)
    row = InvoiceRefund(
        invoice_id=inv.id,
        payment_id=payment.id,
        amount_cents=amount,
        method="chargeback",
        reason="The customer's bank decided a card dispute for them.",
        refunded_on=state.today(),
        stripe_refund_id=dispute_id,
    )
    tx.add(row)
    payment.refunded_cents += amount
    inv.refunded_cents += amount
    state.settle(inv)
    tx.flush()
    after = {**state.summary(inv), "refund_id": row.id, "dispute": dispute_id}
    record(tx, "invoice.chargeback", "invoice", inv.id, before, after)
    return row


def credit_note(invoice_id: int, data: dict) -> CreditNote:
    """A credit note of ``lines`` (taxed with the invoice's frozen rates); at most the amount
    still due (a paid invoice is refunded instead, which makes its own note); audited."""
    with db.transaction() as tx:
        inv = state.locked(tx, invoice_id)
        if inv.status not in state.OPEN:
            raise Conflict(
                f"A {inv.status} invoice cannot be credited"
                + (": refund it instead." if inv.status in state.SETTLED else "."),
                code="invalid_transition",
            )
        lines, totals = _credit_lines(inv, data["lines"])
        if totals.total_cents <= 0:
            raise field_error("lines", "A credit note must credit more than zero.")
        if totals.total_cents > state.amount_due(inv):
            raise field_error(
                "lines",
                f"The credit ({totals.total_cents}) is more than the amount due "
                f"({state.amount_due(inv)}).",
            )
        before = state.summary(inv)
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
        state.settle(inv)
        record(
            tx,
            "invoice.credit_note",
            "invoice",
            inv.id,
            before,
            {**state.summary(inv), "credit_note": note.number, "total_cents": note.total_cents},
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
    on = state.today()
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
