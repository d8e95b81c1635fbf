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
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import BigInteger, any_, case, func, literal, literal_column, or_, select, union
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


def _bucket_of(days_late):
    """Days past due → the bucket's name (a SQL ``CASE``): 0 or less current, then 1-30,
    31-60, 61-90, over 90."""
    return case(
        (days_late <= 0, "current"),
        (days_late <= 30, "days_1_30"),
        (days_late <= 60, "days_31_60"),
        (days_late <= 90, "days_61_90"),
        else_="days_over_90",
    )


def owing_now():
    """``owed today > 0`` exactly as the partial index ``ix_invoices_owing`` (t0026) states it —
    the 0 inlined, not a bound parameter — so Postgres can prove a query is within the index."""
    return (
        Invoice.total_cents - Invoice.credited_cents - Invoice.paid_cents + Invoice.refunded_cents
    ) > literal_column("0")


def _sums_until(model, amount, on, as_of: date, candidates):
    """Per candidate invoice, its ``model`` rows' ``amount`` dated on or before ``as_of``."""
    return (
        select(model.invoice_id.label("invoice_id"), func.sum(amount).label("cents"))
        .join(candidates, candidates.c.id == model.invoice_id)
        .where(on <= as_of)
        .group_by(model.invoice_id)
        .subquery()
    )


def ar_aging(as_of: date | None) -> dict:
    """Outstanding money by customer and age as of a tenant-local date.

    One grouped query: the invoices that can owe on ``as_of`` — owing now (the partial index
    ``ix_invoices_owing``) or with a payment, credit note or refund dated after ``as_of`` (what
    they owed then differs from today's figure) — are picked first (a materialised CTE of a few
    thousand rows); each owes its total less its credit notes and payments plus its refunds
    dated on or before ``as_of``; a ``CASE`` on days past due buckets it, and the owed sums are
    grouped per customer and bucket. A year of settled invoices costs nothing and no invoice
    crosses into Python.
    """
    sess = db.session()
    as_of = as_of or today()
    zone = tenant_zone()
    voided_by = datetime.combine(as_of + timedelta(days=1), time.min, tzinfo=zone)
    columns = (Invoice.id, Invoice.customer_id, Invoice.total_cents, Invoice.due_date)
    on_the_day = (
        Invoice.issue_date <= as_of,
        Invoice.status != "DRAFT",
        or_(Invoice.status != "VOID", Invoice.voided_at >= voided_by),
    )
    later = union(
        select(InvoicePayment.invoice_id).where(InvoicePayment.received_on > as_of),
        select(CreditNote.invoice_id).where(CreditNote.issue_date > as_of),
        select(InvoiceRefund.invoice_id).where(InvoiceRefund.refunded_on > as_of),
    )
    # Each branch through its own index: the partial index of the invoices owing now, and the
    # primary key for those with money dated after the day (none when the day is today).
    candidates = (
        union(
            select(*columns).where(owing_now(), *on_the_day),
            select(*columns).where(Invoice.id.in_(later), *on_the_day),
        )
        .cte("can_owe")
        .prefix_with("MATERIALIZED")
    )
    credited = _sums_until(
        CreditNote, CreditNote.total_cents, CreditNote.issue_date, as_of, candidates
    )
    paid = _sums_until(
        InvoicePayment, InvoicePayment.amount_cents, InvoicePayment.received_on, as_of, candidates
    )
    refunded = _sums_until(
        InvoiceRefund, InvoiceRefund.amount_cents, InvoiceRefund.refunded_on, as_of, candidates
    )
    owed = (
        candidates.c.total_cents
        - func.coalesce(credited.c.cents, 0)
        - func.coalesce(paid.c.cents, 0)
        + func.coalesce(refunded.c.cents, 0)
    )
    each = (
        select(
            candidates.c.customer_id,
            _bucket_of(literal(as_of) - candidates.c.due_date).label("bucket"),
            owed.label("owed"),
        )
        .select_from(candidates)
        .outerjoin(credited, credited.c.invoice_id == candidates.c.id)
        .outerjoin(paid, paid.c.invoice_id == candidates.c.id)
        .outerjoin(refunded, refunded.c.invoice_id == candidates.c.id)
        .subquery()
    )
    grouped = sess.execute(
        select(each.c.customer_id, each.c.bucket, func.sum(each.c.owed), func.count())
        .where(each.c.owed > 0)
        .group_by(each.c.customer_id, each.c.bucket)
    ).all()
    rows: dict[int, dict] = {}
    for customer_id, bucket, cents, count in grouped:
        row = rows.setdefault(
            customer_id, {"customer_id": customer_id, "invoices": 0, **{b: 0 for b in BUCKETS}}
        )
        row[bucket] = int(cents)
        row["invoices"] += count
    names = dict(
        sess.execute(
            select(Customer.id, Customer.name).where(
                Customer.id == any_(literal(list(rows), ARRAY(BigInteger)))
            )
        ).all()
    )
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
    """Payments (positive) and refunds and chargebacks (negative) in [start, end), by date then
    id."""
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
                # a chargeback (a lost card dispute) is money going back too, but not a refund
                "method": "chargeback" if r.method == "chargeback" else "refund",
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
    bucket = _bucket_of(on - Invoice.due_date)  # owing now: the partial index ix_invoices_owing
    rows = db.session().execute(
        select(bucket, func.sum(owed))
        .where(
            Invoice.issue_date <= on,
            Invoice.status.notin_(("DRAFT", "VOID")),
            owing_now(),
        )
        .group_by(bucket)
    )
    totals = {b: 0 for b in BUCKETS}
    for name, cents in rows:
        totals[name] = int(cents)
    totals["total_cents"] = sum(totals[b] for b in BUCKETS)
    return totals
