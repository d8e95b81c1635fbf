"""Invoices in the console (SPEC §5.14, §5.11): the list with its filters, one invoice with its
lines, taxes and money, and what staff do to it — issue a draft, e-mail it again, void it, record
a payment, refund (card shares go back through Stripe), credit note, the PDF, the card-setup link;
the AR aging table.

Every page and action needs the ``finance`` permission, as ``/admin/invoices`` does (a viewer or a
dispatcher gets the 403 page). Writes call the API's services with the API's schemas:
``service.issue/send/void``, ``money.record_payment/refund/credit_note``,
``cards.send_setup_link``, ``documents.invoice_pdf``, ``reports.finance.ar_aging``.

A form posted twice (a double click, the browser's "resubmit") does one thing: each money form
carries a one-time key, kept in Redis for a day once used. The API's refusals that name an amount
in cents (over the amount due, over the refundable amount) are shown in the invoice's currency.
"""

from __future__ import annotations

import re
import uuid
from decimal import Decimal, InvalidOperation

from flask import Response, g, redirect, request, url_for

from shared import db
from shared.errors import AppError, field_error
from shared.web import i18n
from shared.web.pages import render_page
from tenantapp.console import actions, forms
from tenantapp.console.blueprint import blp
from tenantapp.console.guard import console_page
from tenantapp.customers.models import Customer
from tenantapp.invoices import documents, money, reading, schemas, service
from tenantapp.invoices.models import INVOICE_STATUSES, STAFF_PAYMENT_METHODS
from tenantapp.payments import cards
from tenantapp.reports import finance
from tenantapp.reports.schemas import AgingArgs

PAGE_SIZE = 50
AGING_PAGE = 100
FILTERS = ("status", "overdue", "customer_id", "from", "to")
DONE = (
    "created",
    "issued",
    "sent",
    "voided",
    "payment",
    "refund",
    "credit_note",
    "card_link",
    "duplicate",
)


# The API's money refusals (``tenantapp.invoices.money``) name amounts in integer cents, for
# programs; the console says them in currency. Each pattern is one API message (its wording is
# pinned by tests/console2/test_invoices_money_errors.py, which fails if the API's changes).
CENT_MESSAGES = (
    (
        re.compile(r"That is more than the amount due \((?P<due>-?\d+) cents\)\."),
        "console.invoices.money_errors.over_due",
    ),
    (
        re.compile(r"That is more than was paid and not refunded \((?P<refundable>-?\d+)\)\."),
        "console.invoices.money_errors.over_refundable",
    ),
    (
        re.compile(
            r"The credit \((?P<credit>-?\d+)\) is more than the amount due \((?P<due>-?\d+)\)\."
        ),
        "console.invoices.money_errors.credit_over_due",
    ),
)
SYMBOLS = {"CAD": "$", "USD": "$", "AUD": "$", "NZD": "$", "EUR": "€", "GBP": "£"}


# -- helpers -------------------------------------------------------------------------------


def money_text(cents: int, currency: str) -> str:
    """Integer cents as people read money: "$1,234.50" ("1,234.50 CHF" without a symbol)."""
    sign, cents = ("-" if cents < 0 else ""), abs(cents)
    amount = f"{cents // 100:,}.{cents % 100:02d}"
    symbol = SYMBOLS.get(currency)
    return f"{sign}{symbol}{amount}" if symbol else f"{sign}{amount} {currency}"


def in_currency(message: str | None, currency: str) -> str | None:
    """``message`` with the API's amounts in cents said in ``currency`` (others unchanged)."""
    if not message:
        return message
    for pattern, key in CENT_MESSAGES:
        message = pattern.sub(
            lambda m, key=key: i18n.message(
                key, **{k: money_text(int(v), currency) for k, v in m.groupdict().items()}
            ),
            message,
        )
    return message


def amount_cents(name: str):
    """A money field ("25", "25.5", "1,025.50") as integer cents; another text → 422 beside it."""
    text = forms.text(name).strip().replace(",", "").replace("$", "")
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or value != value.quantize(Decimal("0.01")):
        raise field_error(name, "Enter an amount like 25 or 25.50.")
    return int(value * 100)


# -- the list ------------------------------------------------------------------------------


def _list_args(query: dict) -> dict:
    body = {k: v for k, v in query.items() if k != "overdue"}
    if "customer_id" in body:
        body["customer_id"] = forms.number(body["customer_id"])
    if query.get("overdue") in ("yes", "no"):
        body["overdue"] = query["overdue"] == "yes"
    elif query.get("overdue"):
        raise field_error("overdue", "Choose yes, no or any.")
    return forms.load(schemas.InvoiceListArgs(), {**body, "limit": PAGE_SIZE})


@blp.get("/invoices")
@console_page("finance")
def invoices():
    g.console_section = "console.invoices"
    query = actions.query_filters((*FILTERS, "cursor"))
    errors, summary, status = {}, None, 200
    try:
        result = reading.list_invoices(_list_args(query))
    except AppError as exc:
        errors, summary = forms.field_errors(exc, (*FILTERS, "cursor"))
        status = 422
        result = {"items": [], "next_cursor": None}
    filters = {k: v for k, v in query.items() if k != "cursor"}
    customer = None
    if isinstance(forms.number(filters.get("customer_id", "")), int) and not errors:
        customer = db.session().get(Customer, int(filters["customer_id"]))
    nxt = result["next_cursor"]
    return render_page(
        "console/invoices/list.html",
        status=status,
        items=result["items"],
        names=actions.customer_names(i["customer_id"] for i in result["items"]),
        customer=customer,
        filters=filters,
        errors=errors,
        summary=summary,
        statuses=INVOICE_STATUSES,
        next_url=url_for("console.invoices", **filters, cursor=nxt) if nxt else None,
        first_url=url_for("console.invoices", **filters) if query.get("cursor") else None,
    )


@blp.get("/invoices/aging")
@console_page("finance")
def aging():
    """The AR aging table, customers owing most first, ``AGING_PAGE`` a page (the totals are
    the whole book's)."""
    g.console_section = "console.invoices"
    errors, status = {}, 200
    as_of = request.args.get("as_of", "").strip()[:10]
    start = forms.number(request.args.get("start", "0")[:9])
    start = start if isinstance(start, int) and start > 0 else 0
    try:
        args = forms.load(AgingArgs(), {"as_of": as_of} if as_of else {})
        report = finance.ar_aging(args.get("as_of"))
    except AppError as exc:
        errors, _ = forms.field_errors(exc, ("as_of",))
        status = 422
        report = finance.ar_aging(None)
    rows = report["customers"]
    more = start + AGING_PAGE < len(rows)
    query = {"as_of": as_of} if as_of and not errors else {}
    return render_page(
        "console/invoices/aging.html",
        status=status,
        report={**report, "customers": rows[start : start + AGING_PAGE]},
        owing=len(rows),
        buckets=finance.BUCKETS,
        as_of=as_of,
        errors=errors,
        next_url=url_for("console.aging", **query, start=start + AGING_PAGE) if more else None,
        first_url=url_for("console.aging", **query) if start else None,
    )


# -- one invoice ---------------------------------------------------------------------------


def _invoice_page(invoice_id: int, status=200, errors=None, summary=None, values=None):
    g.console_section = "console.invoices"
    inv = reading.invoice_view(invoice_id)  # another workspace's id → NotFound → 404 page
    errors = {k: in_currency(v, inv["currency"]) for k, v in (errors or {}).items()}
    summary = in_currency(summary, inv["currency"])
    customer = db.session().get(Customer, inv["customer_id"])
    done = request.args.get("done")
    refundable = inv["paid_cents"] - inv["refunded_cents"]
    return render_page(
        "console/invoices/one.html",
        status=status,
        inv=inv,
        customer=customer,
        card=cards.card_view(inv["customer_id"]),
        refundable=refundable,
        methods=STAFF_PAYMENT_METHODS,
        errors=errors or {},
        summary=summary,
        values=values or {},
        done=done if done in DONE else None,
        form_key=uuid.uuid4().hex,
    )


@blp.get("/invoices/<int:invoice_id>")
@console_page("finance")
def invoice(invoice_id: int):
    return _invoice_page(invoice_id)


def _act(invoice_id: int, what: str, action, fields=(), *, keyed=False, rename=None):
    """Run a form's ``action`` (``actions.run_form``); a keyed money form runs once per key."""
    key = forms.text("form_key") if keyed else ""
    if keyed and actions.form_key_taken(key):
        return redirect(url_for("console.invoice", invoice_id=invoice_id, done="duplicate"), 303)

    def page(status, errors, summary, values):
        values.update(method=forms.text("method"), received_on=forms.text("received_on"))
        return _invoice_page(invoice_id, status, errors, summary, values)

    return actions.run_form(
        action,
        url_for("console.invoice", invoice_id=invoice_id, done=what),
        page,
        fields,
        rename,
        on_error=lambda: actions.release_form_key(key),
    )


@blp.post("/invoices/<int:invoice_id>/issue")
@console_page("finance")
def issue(invoice_id: int):
    return _act(invoice_id, "issued", lambda: service.issue(invoice_id))


@blp.post("/invoices/<int:invoice_id>/send")
@console_page("finance")
def send(invoice_id: int):
    return _act(invoice_id, "sent", lambda: service.send(invoice_id))


@blp.post("/invoices/<int:invoice_id>/void")
@console_page("finance")
def void(invoice_id: int):
    def run():
        data = forms.load(schemas.VoidIn(), forms.collect(("reason",)))
        service.void(invoice_id, data["reason"])

    return _act(invoice_id, "voided", run, ("reason",))


@blp.post("/invoices/<int:invoice_id>/payments")
@console_page("finance")
def record_payment(invoice_id: int):
    def run():
        body = forms.collect(("method", "received_on", "reference"))
        body["amount_cents"] = amount_cents("amount")
        if body["amount_cents"] is None:
            raise field_error("amount", "Enter the amount received.")
        money.record_payment(invoice_id, forms.load(schemas.PaymentIn(), body))

    fields = ("amount", "method", "received_on", "reference")
    return _act(invoice_id, "payment", run, fields, keyed=True, rename={"amount_cents": "amount"})


@blp.post("/invoices/<int:invoice_id>/refunds")
@console_page("finance")
def refund(invoice_id: int):
    def run():
        body = forms.collect(("reason",))
        body["amount_cents"] = amount_cents("refund_amount")
        if body["amount_cents"] is None:
            raise field_error("refund_amount", "Enter the amount to refund.")
        money.refund(invoice_id, forms.load(schemas.RefundIn(), body))

    fields = ("refund_amount", "reason")
    return _act(
        invoice_id, "refund", run, fields, keyed=True, rename={"amount_cents": "refund_amount"}
    )


@blp.post("/invoices/<int:invoice_id>/credit-notes")
@console_page("finance")
def credit(invoice_id: int):
    def run():
        cents = amount_cents("credit_amount")
        if cents is None:
            raise field_error("credit_amount", "Enter the amount to credit.")
        description = forms.text("description").strip()
        line = {
            "kind": "custom",
            "description": description or forms.text("credit_reason").strip() or "Credit",
            "unit_price_cents": cents,
            "taxable": forms.text("taxable") == "1",
        }
        body = {"lines": [line], "reason": forms.text("credit_reason").strip()}
        money.credit_note(invoice_id, forms.load(schemas.CreditNoteIn(), body))

    fields = ("credit_amount", "description", "credit_reason")
    rename = {
        "reason": "credit_reason",
        "lines": "credit_amount",
        "lines.0.unit_price_cents": "credit_amount",
        "lines.0.description": "description",
    }
    return _act(invoice_id, "credit_note", run, fields, keyed=True, rename=rename)


@blp.post("/invoices/<int:invoice_id>/card-link")
@console_page("finance")
def card_link(invoice_id: int):
    customer_id = reading.invoice_view(invoice_id)["customer_id"]
    return _act(invoice_id, "card_link", lambda: cards.send_setup_link(customer_id))


@blp.get("/invoices/<int:invoice_id>/pdf")
@console_page("finance")
def pdf(invoice_id: int):
    filename, body = documents.invoice_pdf(invoice_id)
    return Response(
        body,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )


@blp.app_template_filter("console_invoice_status_option")
def _status_option(status: str) -> tuple[str, str]:
    return status, i18n.message(f"console.invoices.statuses.{status}")


@blp.app_template_filter("console_payment_method_option")
def _method_option(method: str) -> tuple[str, str]:
    return method, i18n.message(f"console.invoices.methods.{method}")
