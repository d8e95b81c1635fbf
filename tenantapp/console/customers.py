"""Customers (SPEC §5.14, §5.9): the list (filter + pages), a new customer (a phone-in), one
customer's page with properties (add one), visits, plans and invoices (the latest 20 each; their
own pages come with part 2). Same schemas and services as
``/admin/customers``; same permissions (view to read, dispatch to change)."""

from __future__ import annotations

from flask import g, redirect, request, url_for
from sqlalchemy import select

from shared import db
from shared.auth.permissions import allows
from shared.errors import AppError, ValidationFailed
from shared.pagination import decode_cursor, page
from shared.web.pages import render_page
from tenantapp.bookings.models import Booking
from tenantapp.console import actions, forms
from tenantapp.console.blueprint import blp
from tenantapp.console.guard import console_page
from tenantapp.console.messages import recent_texts
from tenantapp.customers import schemas, service
from tenantapp.invoices import reading as invoice_reading
from tenantapp.payments import cards
from tenantapp.plans import service as plans
from tenantapp.settings.service import tenant_zone

PAGE_SIZE = 50
VISITS_PAGE = 20
CUSTOMER_FIELDS = ("name", "email", "phone", "notes")
PROPERTY_FIELDS = ("address", "postal_code", "access_notes", "key_notes", "parking", "pets")


def _q() -> str:
    return request.args.get("q", "").replace("\x00", "").strip()[:200]


@blp.get("/customers")
@console_page("view")
def customers():
    g.console_section = "console.customers"
    q = _q()
    cursor = request.args.get("cursor") or None
    try:
        result = service.list_customers(PAGE_SIZE, cursor, q or None)
    except AppError:  # a damaged cursor: start again
        result = service.list_customers(PAGE_SIZE, None, q or None)
    nxt = result["next_cursor"]
    return render_page(
        "console/customers.html",
        items=result["items"],
        q=q,
        next_url=url_for("console.customers", q=q or None, cursor=nxt) if nxt else None,
        first_url=url_for("console.customers", q=q or None) if cursor else None,
    )


def _new_form(status=200, errors=None, summary=None, values=None):
    g.console_section = "console.customers"
    return render_page(
        "console/customer_new.html",
        status=status,
        errors=errors or {},
        summary=summary,
        values=values or {},
    )


@blp.get("/customers/new")
@console_page("dispatch")
def new_customer():
    return _new_form()


@blp.post("/customers/new")
@console_page("dispatch")
def create_customer():
    body = forms.collect(CUSTOMER_FIELDS, flags=("sms_opt_in",))
    try:
        customer = service.create_customer(forms.load(schemas.CustomerIn(), body))
    except AppError as exc:
        errors, summary = forms.field_errors(exc, CUSTOMER_FIELDS)
        return _new_form(exc.status, errors, summary, body)
    return redirect(url_for("console.customer", customer_id=customer.id, done="created"), 303)


def _visits(customer_id: int, cursor: str | None) -> dict:
    """The customer's bookings, newest first, one page."""
    stmt = (
        select(Booking)
        .where(Booking.customer_id == customer_id)
        .order_by(Booking.starts_at.desc(), Booking.id.desc())
        .limit(VISITS_PAGE + 1)
    )
    try:
        after = decode_cursor(cursor, int)
    except AppError:
        after = None
    if after:
        stmt = stmt.where(Booking.id < after[0])
    rows = list(db.session().scalars(stmt))
    return page(rows, VISITS_PAGE, lambda b: [b.id])


def _customer_page(
    customer_id: int, status=200, errors=None, summary=None, values=None, card_error=None
):
    g.console_section = "console.customers"
    customer = service.get_customer(customer_id)
    # The card and its setup link are the invoices' (finance), as on the invoice page.
    finance = allows(g.principal.role, "finance")
    cursor = request.args.get("cursor") or None
    visits = _visits(customer_id, cursor)
    nxt = visits["next_cursor"]
    return render_page(
        "console/customer.html",
        status=status,
        customer=customer,
        properties=service.list_properties(customer_id),
        visits=visits["items"],
        zone=tenant_zone(),
        next_url=url_for("console.customer", customer_id=customer_id, cursor=nxt) if nxt else None,
        first_url=url_for("console.customer", customer_id=customer_id) if cursor else None,
        plans=plans.list_plans({"limit": 20, "customer_id": customer_id})["items"],
        invoices=invoice_reading.list_invoices({"limit": 20, "customer_id": customer_id})["items"],
        errors=errors or {},
        summary=summary,
        values=values or {},
        done=request.args.get("done"),
        texts=recent_texts(customer_id),
        finance=finance,
        dispatch=allows(g.principal.role, "dispatch"),  # the New plan link (POST /admin/plans)
        card=cards.card_view(customer_id) if finance else None,
        card_error=card_error,
    )


@blp.get("/customers/<int:customer_id>")
@console_page("view")
def customer(customer_id: int):
    return _customer_page(customer_id)


@blp.post("/customers/<int:customer_id>/properties")
@console_page("dispatch")
def add_property(customer_id: int):
    service.get_customer(customer_id)  # 404 first, even for a bad form
    body = forms.collect(PROPERTY_FIELDS)
    beds, baths = forms.text("beds").strip(), forms.text("baths").strip()
    if beds or baths:
        body["home"] = {
            "beds": forms.number(beds),
            "baths": forms.decimal(baths) if baths else None,
        }
    try:
        data = forms.load(schemas.PropertyIn(), body)
        service.create_property(customer_id, service.jsonable(data))
    except ValidationFailed as exc:
        errors, summary = forms.field_errors(exc, (*PROPERTY_FIELDS, "home.beds", "home.baths"))
        return _customer_page(customer_id, 422, errors, summary, body)
    return redirect(url_for("console.customer", customer_id=customer_id, done="property"), 303)


@blp.post("/customers/<int:customer_id>/card-link")
@console_page("finance")
def customer_card_link(customer_id: int):
    """E-mail the card-setup link: ``cards.send_setup_link``, as the invoice page and
    ``POST /admin/customers/{id}/card-setup-link`` (finance) do."""

    def page(status, _errors, summary, _values):
        return _customer_page(customer_id, status, card_error=summary)

    done = url_for("console.customer", customer_id=customer_id, done="card_link")
    return actions.run_form(lambda: cards.send_setup_link(customer_id), done, page)
