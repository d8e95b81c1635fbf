"""The invoice list as a CSV in Xero's sales-invoice import layout (SPEC §5.11).

One row per line: ``ContactName, EmailAddress, InvoiceNumber, InvoiceDate, DueDate, Description,
Quantity, UnitAmount, AccountCode, TaxType, Currency``. ``TaxType`` names the rates that tax the
line (their ``accounting_code``, else ``code``, joined by ``+``), or ``Tax Exempt`` for a line no
rate taxes (a tip); ``AccountCode`` is the ``accounting_revenue_account`` setting. Dates are ISO
(``YYYY-MM-DD``); amounts are decimal strings. Drafts have no number and are left out, and so are
void invoices unless ``status=VOID`` is asked for. Every cell goes through ``shared.csvsafe``.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from sqlalchemy import select

from shared import db
from shared.csvsafe import csv_lines
from tenantapp.invoices import reading, tax
from tenantapp.invoices.models import Invoice
from tenantapp.settings.models import TenantSettings

XERO_HEADER = [
    "ContactName",
    "EmailAddress",
    "InvoiceNumber",
    "InvoiceDate",
    "DueDate",
    "Description",
    "Quantity",
    "UnitAmount",
    "AccountCode",
    "TaxType",
    "Currency",
]
EXEMPT = "Tax Exempt"
BATCH = 500


def _money(cents: int) -> str:
    return f"{Decimal(cents) / 100:.2f}"


def _tax_type(line, rates: list[tax.Rate]) -> str:
    names = [
        r.accounting_code or r.code
        for r in tax.rates_of(tax.Line(line.kind, line.amount_cents, line.taxable), rates)
    ]
    if line.kind == "discount" and line.taxable:  # a discount carries the rates it reduces
        names = [r.accounting_code or r.code for r in rates]
    return "+".join(names) or EXEMPT


def xero_rows(args: dict) -> Iterator[list]:
    sess = db.session()
    account = sess.get(TenantSettings, 1).accounting_revenue_account
    stmt = reading.filtered(select(Invoice).where(Invoice.number.isnot(None)), args)
    if args.get("status") != "VOID":
        stmt = stmt.where(Invoice.status != "VOID")
    last = None
    while True:
        page = stmt.order_by(Invoice.id).limit(BATCH)
        if last is not None:
            page = page.where(Invoice.id > last)
        invoices = list(sess.scalars(page))
        if not invoices:
            return
        lines = reading.lines_by_invoice(sess, [i.id for i in invoices])
        for inv in invoices:
            rates = [tax.Rate.from_dict(r) for r in inv.tax_rates]
            bill_to = inv.bill_to or {}
            for line in lines.get(inv.id, []):
                yield [
                    bill_to.get("name"),
                    bill_to.get("email"),
                    inv.number,
                    inv.issue_date.isoformat(),
                    inv.due_date.isoformat() if inv.due_date else "",
                    line.description,
                    reading.quantity_text(line.quantity),
                    _money(line.unit_price_cents),
                    account,
                    _tax_type(line, rates),
                    inv.currency,
                ]
        last = invoices[-1].id


def xero_csv(args: dict) -> Iterator[str]:
    return csv_lines(XERO_HEADER, xero_rows(args))
