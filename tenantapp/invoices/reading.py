"""Reading invoices: the list with its filters, one invoice, the SPEC §5.11 response."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select

from shared import db
from shared.pagination import decode_cursor, page
from tenantapp.invoices import autocharge, online, state
from tenantapp.invoices.models import (
    CreditNote,
    Invoice,
    InvoiceLine,
    InvoicePayment,
    InvoiceRefund,
)


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
    on, settings = state.today(), state.settings_row(db.session())
    result["items"] = [
        view(i, lines.get(i.id, []), on=on, detail=False, settings=settings)
        for i in result["items"]
    ]
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
        late = Invoice.status.in_(state.OPEN) & (Invoice.due_date < state.today())
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
    inv = state.get_invoice(invoice_id)
    return view(inv, state.lines_of(db.session(), inv.id))


def quantity_text(q: Decimal) -> str:
    return f"{Decimal(q).normalize():f}"


def view(
    inv: Invoice, lines: list[InvoiceLine], *, on: date | None = None, detail=True, settings=None
) -> dict:
    """The SPEC §5.11 invoice response (payments, refunds and credit notes with ``detail``);
    a list passes the tenant's ``settings`` row once instead of one read per invoice."""
    on = on or state.today()
    late = state.days_overdue(inv, on)
    settings = settings or state.settings_row(db.session())
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
        "amount_due_cents": state.amount_due(inv),
        "overdue": late > 0,
        "days_overdue": late,
        "pay_url": online.pay_url(inv, settings),
        "disputed": inv.disputed_at is not None,
        "bill_to": inv.bill_to,
        "notes": inv.notes,
        "void_reason": inv.void_reason,
        "created_at": inv.created_at,
        "issued_at": inv.issued_at,
    }
    if detail:
        sess = db.session()
        out["auto_charge"] = autocharge.charge_status(inv.id)
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
