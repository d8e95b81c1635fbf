"""A new plan from the console (SPEC §5.14, §5.10): find the customer (or come from their page
with ``?customer_id=&property_id=``), then the plan's form — ``PlanIn`` and
``plans.service.create_plan``, the code behind ``POST /admin/plans`` — with the API's errors
beside the fields. The API's Idempotency-Key is a one-time form key here (a form posted twice
makes one plan). Needs ``dispatch``, as the API.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from flask import g, redirect, request, url_for

from shared.errors import AppError
from shared.web.pages import render_page
from tenantapp.console import actions, forms, overview
from tenantapp.console.blueprint import blp
from tenantapp.console.guard import console_page
from tenantapp.customers import service as customers
from tenantapp.plans import schemas, service
from tenantapp.plans.rules import FREQUENCIES
from tenantapp.pricing.config import SERVICE_TYPES

FIELDS = (
    "customer_id",
    "property_id",
    "frequency",
    "first_date",
    "start_time",
    "team_id",
    "service_type",
    "beds",
    "baths",
    "ends_on",
    "max_visits",
    "notes",
    "require_deposit",
)
NUMBERS = ("customer_id", "property_id", "team_id", "max_visits")
PLAN_FIELDS = ("property_id", "frequency", "first_date", "start_time", "team_id")
PLAN_FIELDS += ("ends_on", "max_visits", "notes")
# API field → the form's field, for the nested estimate request and the customer.
RENAME = {
    "estimate_request": "beds",
    "estimate_request.beds": "beds",
    "estimate_request.baths": "baths",
    "estimate_request.service_type": "service_type",
}


def _page(values: dict, status=200, errors=None, summary=None):
    g.console_section = "console.plans"
    return render_page(
        "console/plans/new.html",
        status=status,
        teams=overview.teams(),
        frequencies=FREQUENCIES,
        service_types=SERVICE_TYPES,
        values=values,
        errors=errors or {},
        summary=summary,
        **actions.customer_picker(values),
        form_key=uuid.uuid4().hex,
    )


@blp.get("/plans/new")
@console_page("dispatch")
def new_plan():
    first = overview.local_today() + timedelta(days=7)
    values = {
        "customer_id": request.args.get("customer_id", "")[:19],
        "property_id": request.args.get("property_id", "")[:19],
        "frequency": "weekly",
        "first_date": first.isoformat(),
        "start_time": "09:00",
        "service_type": "standard",
    }
    return _page(values)


def plan_body(values: dict, properties) -> dict:
    """``PlanIn``'s body from the form: blank fields left out; the service and home details make
    an estimate request only when typed (else the API takes the property's home details), the
    blanks of it filled from the chosen property's home."""
    body = {k: forms.number(values[k]) if k in NUMBERS else values[k] for k in PLAN_FIELDS}
    body = {k: v for k, v in body.items() if v != ""}
    body["customer_id"] = forms.number(values["customer_id"])
    body["require_deposit"] = values.get("require_deposit") == "1"
    service_type = values.get("service_type") or "standard"
    if values.get("beds") or values.get("baths") or service_type != "standard":
        home = next((p.home for p in properties if str(p.id) == values["property_id"]), None)
        home = home or {}
        body["estimate_request"] = {
            "beds": forms.number(values["beds"]) if values["beds"] else home.get("beds", ""),
            "baths": forms.decimal(values["baths"]) if values["baths"] else home.get("baths", ""),
            "service_type": service_type,
        }
    return body


@blp.post("/plans/new")
@console_page("dispatch")
def create_plan():
    values = {k: forms.text(k).strip() for k in FIELDS}
    key = forms.text("form_key")
    cid = forms.number(values["customer_id"])
    if not isinstance(cid, int) or cid <= 0:
        return redirect(url_for("console.new_plan"), 303)
    if actions.form_key_taken(key):
        return redirect(url_for("console.customer", customer_id=cid), 303)
    try:
        properties = customers.list_properties(cid)
        data = forms.load(schemas.PlanIn(), plan_body(values, properties))
        plan = service.create_plan(data)
    except AppError as exc:
        actions.release_form_key(key)
        if exc.status == 404 and not exc.extra.get("errors"):
            raise
        errors, summary = forms.field_errors(exc, (*FIELDS, *RENAME))
        errors = {RENAME.get(k, k): v for k, v in errors.items()}
        return _page(values, exc.status, errors, summary)
    return redirect(url_for("console.plan", plan_id=plan.id, done="created"), 303)
