"""A new invoice from the console (SPEC §5.14, §5.11): a DRAFT from a booking (typically a
completed one) or from a customer and lines typed by hand — ``InvoiceCreate`` and
``invoices.service.create_invoice``, the code behind ``POST /admin/invoices`` — with the API's
errors beside the fields (a booking that already has a live invoice: its 409 as a message). The
API's Idempotency-Key is a one-time form key here. Needs ``finance``, as the API.
"""

from __future__ import annotations

import uuid

from flask import g, redirect, request, url_for

from shared.errors import AppError
from shared.web import i18n
from shared.web.pages import render_page
from tenantapp.bookings import service as bookings
from tenantapp.console import actions, forms
from tenantapp.console.blueprint import blp
from tenantapp.console.guard import console_page
from tenantapp.console.invoices import amount_cents
from tenantapp.customers import service as customers
from tenantapp.invoices import schemas, service
from tenantapp.invoices.models import LINE_KINDS

LINES = 5  # rows of the form; a blank row is left out
LINE_FIELDS = ("kind", "description", "quantity", "price")
COMMON = ("notes", "due_date")


def _line_names() -> list[str]:
    return [f"lines.{i}.{f}" for i in range(LINES) for f in (*LINE_FIELDS, "taxable")]


def _page(values: dict, status=200, errors=None, summary=None):
    g.console_section = "console.invoices"
    return render_page(
        "console/invoices/new.html",
        status=status,
        kinds=LINE_KINDS,
        rows=range(LINES),
        values=values,
        errors=errors or {},
        summary=summary,
        **actions.customer_picker(values, with_properties=False),
        form_key=uuid.uuid4().hex,
    )


@blp.get("/invoices/new")
@console_page("finance")
def new_invoice():
    booking_id = forms.number(request.args.get("booking_id", "")[:19])
    if isinstance(booking_id, int):
        bookings.get(booking_id)  # another workspace's booking → the 404 page
    values = {
        "customer_id": request.args.get("customer_id", "")[:19],
        "booking_id": str(booking_id) if isinstance(booking_id, int) else "",
    }
    for i in range(LINES):
        values[f"lines.{i}.kind"] = "service" if i == 0 else "custom"
        values[f"lines.{i}.quantity"] = "1"
        values[f"lines.{i}.taxable"] = "1"
    return _page(values)


def _lines() -> list[dict]:
    """The typed lines (a row with neither description nor price is left out)."""
    lines = []
    for i in range(LINES):
        name = f"lines.{i}"
        description = forms.text(f"{name}.description").strip()
        price = forms.text(f"{name}.price").strip()
        if not description and not price:
            continue
        line = {
            "kind": forms.text(f"{name}.kind").strip(),
            "description": description,
            "quantity": forms.text(f"{name}.quantity").strip() or "1",
            "taxable": forms.text(f"{name}.taxable") == "1",
        }
        cents = amount_cents(f"{name}.price")
        line["unit_price_cents"] = cents if cents is not None else ""
        lines.append((i, line))
    return lines


def invoice_body() -> tuple[dict, dict[str, str]]:
    """``InvoiceCreate``'s body from the form that was sent, and how the API's field names map
    back to the form's (line n of the API is the form's row of that line)."""
    if forms.text("source") == "booking":
        return {"booking_id": forms.number(forms.text("booking_id"))}, {}
    body = forms.collect(("customer_id", *COMMON), numbers=("customer_id",))
    rows = _lines()
    if rows:
        body["lines"] = [line for _, line in rows]
    rename = {"lines": "lines.0.description"}
    for n, (i, _) in enumerate(rows):
        for api, form in (
            ("kind", "kind"),
            ("description", "description"),
            ("quantity", "quantity"),
            ("unit_price_cents", "price"),
            ("", "description"),
        ):
            rename[f"lines.{n}.{api}".rstrip(".")] = f"lines.{i}.{form}"
    return body, rename


@blp.post("/invoices/new")
@console_page("finance")
def create_invoice():
    key = forms.text("form_key")
    names = ("source", "booking_id", "customer_id", *COMMON, *_line_names())
    values = {k: forms.text(k) for k in names}
    cid = forms.number(values["customer_id"])
    if actions.form_key_taken(key):
        return redirect(url_for("console.invoices"), 303)
    rename: dict[str, str] = {}
    try:
        if values["source"] != "booking" and isinstance(cid, int):
            customers.get_customer(cid)  # another workspace's customer → the 404 page
        body, rename = invoice_body()
        inv = service.create_invoice(forms.load(schemas.InvoiceCreate(), body))
    except AppError as exc:
        actions.release_form_key(key)
        if exc.status == 404 and not exc.extra.get("errors"):
            raise
        fields = ("booking_id", "customer_id", *COMMON, *_line_names(), *rename)
        errors, summary = forms.field_errors(exc, fields)
        errors = {rename.get(k, k): v for k, v in errors.items()}
        if values["source"] != "booking" and "customer_id" in errors and isinstance(cid, int):
            summary = errors.pop("customer_id")  # no lines: the form has no customer field
        return _page(values, exc.status, errors, summary)
    return redirect(url_for("console.invoice", invoice_id=inv.id, done="created"), 303)


@blp.app_template_filter("console_line_kind_option")
def _kind_option(kind: str) -> tuple[str, str]:
    return kind, i18n.message(f"console.invoices.new.kinds.{kind}")
