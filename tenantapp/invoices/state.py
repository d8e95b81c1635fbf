"""An invoice's state: what is due, its status from its money, and the locked read every action
starts with (shared by ``service``, ``money`` and ``reading``)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from shared import db
from shared.errors import NotFound
from tenantapp.invoices import tax
from tenantapp.invoices.models import Invoice, InvoiceLine
from tenantapp.settings.models import TenantSettings
from tenantapp.settings.service import tenant_zone

OPEN = ("ISSUED", "PARTIALLY_PAID")  # owed money: can be paid, credited, become overdue
SETTLED = ("PAID", "REFUNDED")


def settings_row(sess) -> TenantSettings:
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


def locked(tx, invoice_id: int) -> Invoice:
    inv = tx.get(Invoice, invoice_id, with_for_update=True, populate_existing=True)
    if inv is None:
        raise NotFound("No such invoice.")
    return inv


def get_invoice(invoice_id: int) -> Invoice:
    inv = db.session().get(Invoice, invoice_id)
    if inv is None:
        raise NotFound("No such invoice.")
    return inv


def lines_of(sess, invoice_id: int) -> list[InvoiceLine]:
    return list(
        sess.scalars(
            select(InvoiceLine)
            .where(InvoiceLine.invoice_id == invoice_id)
            .order_by(InvoiceLine.position)
        )
    )


def summary(inv: Invoice) -> dict:
    return {
        "status": inv.status,
        "number": inv.number,
        "total_cents": inv.total_cents,
        "paid_cents": inv.paid_cents,
        "refunded_cents": inv.refunded_cents,
        "credited_cents": inv.credited_cents,
    }
