"""The accountant's reports over invoices (SPEC §5.11): AR aging, tax collected, payments.

Dates are tenant-local calendar dates (``from`` inclusive, ``to`` exclusive), as everywhere.

- **AR aging** ``as_of`` a date: every invoice issued on or before it (void ones only if voided
  after it), owing money as of that date (its total, less the credit notes, payments and refunds
  dated on or before it), bucketed by days past its due date: current (not yet past due), 1-30,
  31-60, 61-90, 90+; one row per customer plus totals.
- **Tax** per rate (code and percentage): taxable amount and tax of the invoices issued in the
  range (void ones excluded), less those of the credit notes dated in the range: net.
- **Payments**: money in (payments by ``received_on``) and out (refunds by ``refunded_on``,
  negative) in the range, oldest first; CSV ``date, invoice_number, method, amount,
  stripe_reference`` (refunds have method ``refund``).
- ``revenue``: what ``/admin/metrics`` adds — invoiced (pre-tax, net of credit notes, by issue
  date) and collected (payments less refunds, by their dates).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, any_, case, func, literal, or_, select
from sqlalchemy.dialects.postgresql import ARRAY

from shared import db
from shared.csvsafe import csv_lines
from shared.errors import field_error
from tenantapp.customers.models import Customer
from tenantapp.invoices.models import CreditNote, Invoice, InvoicePayment, InvoiceRefund
from tenantapp.settings.service import tenant_zone

BUCKETS = ("current", "days_1_30", "days_31_60", "days_61_90", "days_over_90")
PAYMENTS_HEADER = ["date", "invoice_number", "method", "amount", "stripe_reference"]
MAX_RANGE_DAYS = 3660


def today() -> date:
    return datetime.now(tenant_zone()).date()


def check_range(start: date, end: date) -> None:
    if end <= start:
        raise field_error("to", "'to' must be after 'from'.")
    if (end - start).days > MAX_RANGE_DAYS:
        raise field_error("to", f"The range may span at most {MAX_RANGE_DAYS} days.")


def _bucket(days_late: int) -> str:
    if days_late <= 0:
        return "current"
    if days_late <= 30:
        return "days_1_30"
    if days_late <= 60:
        return "days_31_60"
    if days_late <= 90:
        return "days_61_90"
    return "days_over_90"


def _sums(sess, model, amount, on, as_of: date, invoice_ids: list[int]) -> dict[int, int]:
    if not invoice_ids:
        return {}
    rows = sess.execute(
        select(model.invoice_id, func.sum(amount))
        .where(on <= as_of, model.invoice_id == any_(literal(invoice_ids, ARRAY(BigInteger))))
        .group_by(model.invoice_id)
    )
    return {invoice_id: int(total) for invoice_id, total in rows}


def _after(model, on, as_of: date):
    """Invoices with a ``model`` row dated after ``as_of`` (through the date index)."""
    return Invoice.id.in_(select(model.invoice_id).where(on > as_of))


def ar_aging(as_of: date | None) -> dict:
    """Outstanding money by customer and age as of a tenant-local date.

    Only invoices that can owe on ``as_of`` are read (columns, not whole rows): those owing
    today, and those with a payment, credit note or refund dated after ``as_of`` (what they owed
    then differs from today's figure). A year of settled invoices costs nothing.
    """
    sess = db.session()
    as_of = as_of or today()
    zone = tenant_zone()
    owes_now = (
        Invoice.total_cents - Invoice.credited_cents - Invoice.paid_cents + Invoice.refunded_cents
    ) > 0
    invoices = sess.execute(
        select(
            Invoice.id,
            Invoice.customer_id,
            Invoice.status,
            Invoice.total_cents,
            Invoice.due_date,
            Invoice.voided_at,
        ).where(
            Invoice.issue_date <= as_of,
            Invoice.status.notin_(("DRAFT",)),
            or_(
                owes_now,
                _after(InvoicePayment, InvoicePayment.received_on, as_of),
                _after(CreditNote, CreditNote.issue_date, as_of),
                _after(InvoiceRefund, InvoiceRefund.refunded_on, as_of),
            ),
        )
    ).all()
    ids = [inv.id for inv in invoices]
    credited = _sums(sess, CreditNote, CreditNote.total_cents, CreditNote.issue_date, as_of, ids)
    paid = _sums(
        sess, InvoicePayment, InvoicePayment.amount_cents, InvoicePayment.received_on, as_of, ids
    )
    refunded = _sums(
        sess, InvoiceRefund, InvoiceRefund.amount_cents, InvoiceRefund.refunded_on, as_of, ids
    )
    rows: dict[int, dict] = {}
    for inv in invoices:
        if inv.status == "VOID" and inv.voided_at.astimezone(zone).date() <= as_of:
            continue
        owed = (
            inv.total_cents
            - credited.get(inv.id, 0)
            - paid.get(inv.id, 0)
            + refunded.get(inv.id, 0)
        )
        if owed <= 0:
            continue
        row = rows.setdefault(
            inv.customer_id,
            {"customer_id": inv.customer_id, "invoices": 0, **{b: 0 for b in BUCKETS}},
        )
        row[_bucket((as_of - inv.due_date).days)] += owed
        row["invoices"] += 1
    names = {
        cid: name
        for cid, name in sess.execute(
            select(Customer.id, Customer.name).where(
                Customer.id == any_(literal(list(rows), ARRAY(BigInteger)))
            )
        )
    }
    customers = []
    for cid, row in rows.items():
        row["name"] = names.get(cid)
        row["total_cents"] = sum(row[b] for b in BUCKETS)
        customers.append(row)
    customers.sort(key=lambda r: (-r["total_cents"], r["customer_id"]))
    totals = {b: sum(r[b] for r in customers) for b in BUCKETS}
    totals["total_cents"] = sum(totals[b] for b in BUCKETS)
    return {"as_of": as_of, "customers": customers, "totals": totals}


def tax_report(start: date, end: date) -> dict:
    """Tax collected per rate in [start, end): invoices by issue date less credit notes."""
    check_range(start, end)
    sess = db.session()
    per: dict[tuple[str, str], dict] = {}

    def slot(t: dict) -> dict:
        key = (t["code"], t["rate"])
        return per.setdefault(
            key,
            {
                "code": t["code"],
                "name": t.get("name") or t["code"],
                "rate": t["rate"],
                "invoiced_taxable_cents": 0,
                "invoiced_tax_cents": 0,
                "credited_taxable_cents": 0,
                "credited_tax_cents": 0,
            },
        )

    for taxes in sess.scalars(
        select(Invoice.taxes).where(
            Invoice.issue_date >= start,
            Invoice.issue_date < end,
            Invoice.status.notin_(("DRAFT", "VOID")),
        )
    ):
        for t in taxes:
            s = slot(t)
            s["invoiced_taxable_cents"] += t["taxable_cents"]
            s["invoiced_tax_cents"] += t["tax_cents"]
    for taxes in sess.scalars(
        select(CreditNote.taxes).where(CreditNote.issue_date >= start, CreditNote.issue_date < end)
    ):
        for t in taxes:
            s = slot(t)
            s["credited_taxable_cents"] += t["taxable_cents"]
            s["credited_tax_cents"] += t["tax_cents"]
    rates = sorted(per.values(), key=lambda r: (r["code"], Decimal(r["rate"])))
    for r in rates:
        r["net_taxable_cents"] = r["invoiced_taxable_cents"] - r["credited_taxable_cents"]
        r["net_tax_cents"] = r["invoiced_tax_cents"] - r["credited_tax_cents"]
    return {
        "from": start,
        "to": end,
        "rates": rates,
        "total_tax_cents": sum(r["net_tax_cents"] for r in rates),
    }


def payment_rows(start: date, end: date) -> list[dict]:
    """Payments (positive) and refunds (negative) in [start, end), by date then id."""
    check_range(start, end)
    sess = db.session()
    rows = []
    for p, number in sess.execute(
        select(InvoicePayment, Invoice.number)
        .join(Invoice, Invoice.id == InvoicePayment.invoice_id)
        .where(InvoicePayment.received_on >= start, InvoicePayment.received_on < end)
    ):
        rows.append(
            {
                "type": "payment",
                "id": p.id,
                "date": p.received_on,
                "invoice_id": p.invoice_id,
                "invoice_number": number,
                "method": p.method,
                "amount_cents": p.amount_cents,
                "reference": p.reference,
                "stripe_reference": p.stripe_charge_id or p.stripe_payment_intent,
            }
        )
    for r, number in sess.execute(
        select(InvoiceRefund, Invoice.number)
        .join(Invoice, Invoice.id == InvoiceRefund.invoice_id)
        .where(InvoiceRefund.refunded_on >= start, InvoiceRefund.refunded_on < end)
    ):
        rows.append(
            {
                "type": "refund",
                "id": r.id,
                "date": r.refunded_on,
                "invoice_id": r.invoice_id,
                "invoice_number": number,
                "method": "refund",
                "amount_cents": -r.amount_cents,
                "reference": r.reason,
                "stripe_reference": r.stripe_refund_id,
            }
        )
    rows.sort(key=lambda r: (r["date"], r["type"], r["id"]))
    return rows


def payments_report(start: date, end: date) -> dict:
    rows = payment_rows(start, end)
    received = sum(r["amount_cents"] for r in rows if r["amount_cents"] > 0)
    refunded = -sum(r["amount_cents"] for r in rows if r["amount_cents"] < 0)
    return {
        "from": start,
        "to": end,
        "items": rows,
        "received_cents": received,
        "refunded_cents": refunded,
        "net_cents": received - refunded,
    }


def payments_csv(start: date, end: date) -> Iterator[str]:
    return csv_lines(
        PAYMENTS_HEADER,
        (
            [
                r["date"].isoformat(),
                r["invoice_number"],
                r["method"],
                f"{Decimal(r['amount_cents']) / 100:.2f}",
                r["stripe_reference"],
            ]
            for r in payment_rows(start, end)
        ),
    )


def revenue(start: date, end: date) -> dict:
    """Invoiced (pre-tax, net of credit notes) and collected (net of refunds) in [start, end)."""
    sess = db.session()
    issued = sess.execute(
        select(
            func.coalesce(func.sum(Invoice.subtotal_cents), 0),
            func.coalesce(func.sum(Invoice.tax_cents), 0),
        ).where(
            Invoice.issue_date >= start,
            Invoice.issue_date < end,
            Invoice.status.notin_(("DRAFT", "VOID")),
        )
    ).one()
    credited = sess.execute(
        select(
            func.coalesce(func.sum(CreditNote.subtotal_cents), 0),
            func.coalesce(func.sum(CreditNote.tax_cents), 0),
        ).where(CreditNote.issue_date >= start, CreditNote.issue_date < end)
    ).one()
    received = sess.scalar(
        select(func.coalesce(func.sum(InvoicePayment.amount_cents), 0)).where(
            InvoicePayment.received_on >= start, InvoicePayment.received_on < end
        )
    )
    refunded = sess.scalar(
        select(func.coalesce(func.sum(InvoiceRefund.amount_cents), 0)).where(
            InvoiceRefund.refunded_on >= start, InvoiceRefund.refunded_on < end
        )
    )
    return {
        "invoiced_cents": int(issued[0]) - int(credited[0]),
        "invoiced_tax_cents": int(issued[1]) - int(credited[1]),
        "collected_cents": int(received) - int(refunded),
        "refunded_cents": int(refunded),
    }


def revenue_by_month(first: date, months: int) -> list[dict]:
    """``revenue`` for each of ``months`` calendar months from ``first`` (a 1st), in four
    grouped queries instead of four per month (the console's revenue chart)."""
    sess = db.session()
    starts = [
        date(first.year + (first.month - 1 + i) // 12, (first.month - 1 + i) % 12 + 1, 1)
        for i in range(months + 1)
    ]
    start, end = starts[0], starts[-1]

    def by_month(column, *amounts, where=()):
        month = func.date_trunc("month", column)
        rows = sess.execute(
            select(month, *(func.coalesce(func.sum(a), 0) for a in amounts))
            .where(column >= start, column < end, *where)
            .group_by(month)
        )
        return {m.date(): [int(v) for v in values] for m, *values in rows}

    issued = by_month(
        Invoice.issue_date,
        Invoice.subtotal_cents,
        Invoice.tax_cents,
        where=(Invoice.status.notin_(("DRAFT", "VOID")),),
    )
    credited = by_month(CreditNote.issue_date, CreditNote.subtotal_cents, CreditNote.tax_cents)
    received = by_month(InvoicePayment.received_on, InvoicePayment.amount_cents)
    refunded = by_month(InvoiceRefund.refunded_on, InvoiceRefund.amount_cents)
    out = []
    for month in starts[:-1]:
        sub, tax = issued.get(month, [0, 0])
        c_sub, c_tax = credited.get(month, [0, 0])
        (paid,) = received.get(month, [0])
        (back,) = refunded.get(month, [0])
        out.append(
            {
                "month": month,
                "invoiced_cents": sub - c_sub,
                "invoiced_tax_cents": tax - c_tax,
                "collected_cents": paid - back,
                "refunded_cents": back,
            }
        )
    return out


def aging_totals_today() -> dict:
    """``ar_aging(today)["totals"]`` in one grouped query over the invoices' own figures: today
    no payment, credit note or refund is dated later, so what an invoice owes is its columns'
    (the Reports chart; the table by customer still comes from ``ar_aging``)."""
    on = today()
    owed = (
        Invoice.total_cents - Invoice.credited_cents - Invoice.paid_cents + Invoice.refunded_cents
    )
    late = on - Invoice.due_date
    bucket = case(
        (late <= 0, "current"),
        (late <= 30, "days_1_30"),
        (late <= 60, "days_31_60"),
        (late <= 90, "days_61_90"),
        else_="days_over_90",
    )
    rows = db.session().execute(
        select(bucket, func.sum(owed))
        .where(
            Invoice.issue_date <= on,
            Invoice.status.notin_(("DRAFT", "VOID")),
            owed > 0,
        )
        .group_by(bucket)
    )
    totals = {b: 0 for b in BUCKETS}
    for name, cents in rows:
        totals[name] = int(cents)
    totals["total_cents"] = sum(totals[b] for b in BUCKETS)
    return totals
