"""Bookings (SPEC §5.14, §5.9): the list with filters and bulk actions, one booking with its
actions (confirm, complete, cancel, move), and the phone booking form.

Every write calls the API's service: ``staff.create_staff_booking`` (``POST /admin/bookings``),
``lifecycle.confirm/complete/cancel/move`` (``/admin/bookings/{id}/...``), ``bulk.service.run``
(``POST /admin/bookings/bulk``), with the API's schemas and permissions.
"""

from __future__ import annotations

from datetime import timedelta

from flask import g, redirect, request, url_for

from shared import db
from shared.errors import AppError
from shared.web.pages import render_page
from tenantapp.bookings import crews, lifecycle, schemas, service
from tenantapp.bookings import staff as staff_bookings
from tenantapp.bulk import service as bulk
from tenantapp.bulk.actions import BOOKING_ACTIONS
from tenantapp.bulk.schemas import BookingsBulkIn
from tenantapp.console import actions, forms, overview
from tenantapp.console.blueprint import blp
from tenantapp.console.guard import console_page
from tenantapp.customers.models import Customer, Property
from tenantapp.invoices import service as invoices
from tenantapp.pricing.config import SERVICE_TYPES
from tenantapp.settings.service import local_day_start, tenant_zone
from tenantapp.workers import service as workers

PAGE_SIZE = 50
STATUSES = ("PENDING", "CONFIRMED", "DONE", "CANCELLED", "SKIPPED")
BULK_ACTIONS = ("confirm", "cancel", "assign_team", "move_day", "resend_confirmation")
FILTERS = ("from", "to", "status", "team_id")


def _names(bookings) -> dict[int, str]:
    return overview.customer_names(db.session(), {b.customer_id for b in bookings})


def _list_page(status: int = 200, bulk_result=None, bulk_errors=None, bulk_summary=None):
    g.console_section = "console.bookings"
    raw = {k: request.args.get(k, "").strip() for k in (*FILTERS, "cursor")}
    query = {k: v for k, v in raw.items() if v}
    errors, summary = {}, None
    try:
        args = forms.load(
            schemas.BookingListArgs(),
            {
                **{k: forms.number(v) if k == "team_id" else v for k, v in query.items()},
                "limit": PAGE_SIZE,
            },
        )
        result = service.list_bookings(
            args, local_day_start(args["start"]), local_day_start(args["end"])
        )
    except AppError as exc:
        errors, summary = forms.field_errors(exc, (*FILTERS, "cursor"))
        status = 422
        result = {"items": [], "next_cursor": None}
    nxt = result["next_cursor"]
    filters = {k: v for k, v in query.items() if k != "cursor"}
    return render_page(
        "console/bookings.html",
        status=status,
        items=result["items"],
        names=_names(result["items"]),
        zone=tenant_zone(),
        teams=overview.teams(),
        filters=filters,
        errors=errors,
        summary=summary,
        statuses=STATUSES,
        actions=BULK_ACTIONS,
        next_url=url_for("console.bookings", **filters, cursor=nxt) if nxt else None,
        first_url=url_for("console.bookings", **filters) if query.get("cursor") else None,
        bulk_result=bulk_result,
        bulk_errors=bulk_errors or {},
        bulk_summary=bulk_summary,
    )


@blp.get("/bookings")
@console_page("view")
def bookings():
    return _list_page()


@blp.post("/bookings/bulk")
@console_page("dispatch")
def bulk_action():
    action = forms.text("action")
    ids = [forms.number(v) for v in request.form.getlist("ids")[:600]]
    params: dict = {}
    if action == "cancel":
        params = {"reason": forms.text("reason").strip() or None}
    elif action == "assign_team":
        params = {"team_id": forms.number(forms.text("team_id"))}
    elif action == "move_day":
        params = {"date": forms.text("date").strip()}
    body = {"action": action, "ids": ids, "params": params, "dry_run": False}
    try:
        result = bulk.run("booking", BOOKING_ACTIONS, forms.load(BookingsBulkIn(), body))
    except AppError as exc:
        errors, summary = forms.field_errors(
            exc, ("action", "ids", "params.reason", "params.team_id", "params.date")
        )
        return _list_page(exc.status, bulk_errors=errors, bulk_summary=summary)
    return _list_page(bulk_result=result)


# -- one booking --------------------------------------------------------------------------


def _booking_page(booking_id: int, status=200, errors=None, summary=None, done=None, values=None):
    g.console_section = "console.bookings"
    booking = service.get(booking_id)
    zone = tenant_zone()
    view = service.view(booking)
    customer = db.session().get(Customer, booking.customer_id)
    prop = db.session().get(Property, booking.property_id) if booking.property_id else None
    local = booking.starts_at.astimezone(zone)
    return render_page(
        "console/booking.html",
        status=status,
        b=view,
        customer=customer,
        prop=prop,
        local=local,
        ends_local=booking.ends_at.astimezone(zone),
        teams=overview.teams(),
        workers=workers.list_workers({"limit": 200, "active": True})["items"],
        errors=errors or {},
        summary=summary,
        done=done or request.args.get("done"),
        values=values or {"date": local.date().isoformat(), "time": local.strftime("%H:%M")},
    )


@blp.get("/bookings/<int:booking_id>")
@console_page("view")
def booking(booking_id: int):
    return _booking_page(booking_id)


def _done(booking_id: int, what: str):
    back = forms.text("back")
    if back == "schedule":
        day = forms.text("day")[:10]
        return redirect(url_for("console.schedule", day=day or None, moved=booking_id), 303)
    return redirect(url_for("console.booking", booking_id=booking_id, done=what), 303)


@blp.post("/bookings/<int:booking_id>/confirm")
@console_page("dispatch")
def confirm(booking_id: int):
    try:
        lifecycle.confirm(booking_id)
    except AppError as exc:
        if exc.status == 404:
            raise
        return _booking_page(booking_id, exc.status, summary=exc.detail)
    return _done(booking_id, "confirmed")


@blp.post("/bookings/<int:booking_id>/complete")
@console_page("dispatch")
def complete(booking_id: int):
    try:
        lifecycle.complete(booking_id, then=invoices.on_booking_completed)
    except AppError as exc:
        if exc.status == 404:
            raise
        return _booking_page(booking_id, exc.status, summary=exc.detail)
    return _done(booking_id, "completed")


@blp.post("/bookings/<int:booking_id>/cancel")
@console_page("dispatch")
def cancel(booking_id: int):
    try:
        data = forms.load(schemas.CancelIn(), forms.collect(("reason",)))
        lifecycle.cancel(booking_id, data["reason"], "staff")
    except AppError as exc:
        if exc.status == 404:
            raise
        errors, summary = forms.field_errors(exc, ("reason",))
        return _booking_page(booking_id, exc.status, errors, summary)
    return _done(booking_id, "cancelled")


@blp.post("/bookings/<int:booking_id>/crew")
@console_page("dispatch")
def crew(booking_id: int):
    """``POST /admin/bookings/{id}/workers``: the crew (1..6 active workers)."""
    ids = [forms.number(v) for v in request.form.getlist("worker_ids")[:20]]
    try:
        data = forms.load(schemas.CrewIn(), {"worker_ids": ids})
        crews.set_crew(booking_id, data["worker_ids"])
    except AppError as exc:
        if exc.status == 404 and not exc.extra.get("errors"):
            raise
        errors, summary = forms.field_errors(exc, ("worker_ids",))
        return _booking_page(booking_id, exc.status, errors, summary)
    return _done(booking_id, "crew")


def move_from_form(booking_id: int, values: dict | None = None) -> None:
    """``POST /admin/bookings/{id}/move`` from a form: local date + time (+ team)."""
    if values is None:
        values = {k: forms.text(k) for k in ("date", "time", "team_id")}
    day, clock = values.get("date", "").strip(), values.get("time", "").strip()
    body: dict = {}
    if day or clock:
        body["starts_at"] = f"{day}T{clock}" if day and clock else (day or clock)
    team = values.get("team_id", "").strip()
    if team:
        body["team_id"] = forms.number(team)
    data = forms.load(schemas.MoveIn(), body)
    lifecycle.move(booking_id, data["starts_at"], data["team_id"], by="staff")


@blp.post("/bookings/<int:booking_id>/move")
@console_page("dispatch")
def move(booking_id: int):
    try:
        move_from_form(booking_id)
    except AppError as exc:
        if exc.status == 404:
            raise
        errors, summary = forms.field_errors(exc, ("starts_at", "team_id"))
        if "starts_at" in errors:
            errors["time"] = errors.pop("starts_at")
        values = {k: forms.text(k) for k in ("date", "time", "team_id")}
        return _booking_page(booking_id, exc.status, errors, summary, values=values)
    return _done(booking_id, "moved")


# -- the phone booking form ----------------------------------------------------------------

BOOKING_FIELDS = (
    "customer_id",
    "property_id",
    "date",
    "time",
    "duration_minutes",
    "team_id",
    "service_type",
    "beds",
    "baths",
    "notes",
    "price_override",
    "price_override_reason",
    "override_reason",
)
# API field → form field, for errors
ERROR_FIELDS = {
    "starts_at": "time",
    "estimate_request.beds": "beds",
    "estimate_request.baths": "baths",
    "estimate_request.service_type": "service_type",
    "price_override_cents": "price_override",
}


def _cents(text: str):
    text = text.strip().replace(",", "")
    try:
        value = round(float(text) * 100)
    except ValueError:
        return text
    return value


def _booking_body(values: dict, home: dict | None = None) -> dict:
    body: dict = {
        "customer_id": forms.number(values.get("customer_id", "")),
        "property_id": forms.number(values.get("property_id", "")),
        "notes": values.get("notes") or None,
        "skip_deposit": values.get("skip_deposit") == "1",
        "override_availability": values.get("override_availability") == "1",
    }
    day, clock = values.get("date", "").strip(), values.get("time", "").strip()
    body["starts_at"] = f"{day}T{clock}" if day and clock else ""
    if not body["starts_at"]:
        body.pop("starts_at")
    if values.get("duration_minutes"):
        body["duration_minutes"] = forms.number(values["duration_minutes"])
    if values.get("team_id"):
        body["team_id"] = forms.number(values["team_id"])
    service_type = values.get("service_type") or "standard"
    if values.get("beds") or values.get("baths") or service_type != "standard":
        # The form prices another job than the property's default one-time standard clean: what
        # was left empty comes from the property's home details, as the API's default does.
        home = home or {}
        beds, baths = values.get("beds", ""), values.get("baths", "")
        body["estimate_request"] = {
            "beds": forms.number(beds) if beds else home.get("beds", ""),
            "baths": forms.decimal(baths) if baths else home.get("baths", ""),
            "service_type": service_type,
        }
    if values.get("price_override"):
        body["price_override_cents"] = _cents(values["price_override"])
        body["price_override_reason"] = values.get("price_override_reason") or None
    if body["override_availability"]:
        body["override_reason"] = values.get("override_reason") or None
    return body


def _new_page(values: dict, status=200, errors=None, summary=None):
    g.console_section = "console.bookings"
    return render_page(
        "console/booking_new.html",
        status=status,
        teams=overview.teams(),
        service_types=SERVICE_TYPES,
        values=values,
        errors=errors or {},
        summary=summary,
        **actions.customer_picker(values),
    )


@blp.get("/bookings/new")
@console_page("dispatch")
def new_booking():
    tomorrow = overview.local_today() + timedelta(days=1)
    values = {
        "customer_id": request.args.get("customer_id", "")[:19],
        "date": request.args.get("date", "")[:10] or tomorrow.isoformat(),
        "time": request.args.get("time", "")[:5] or "09:00",
        "team_id": request.args.get("team_id", "")[:19],
    }
    return _new_page(values)


def _home(values: dict) -> dict | None:
    """The home details of the chosen property of the chosen customer (None when unknown)."""
    cid, pid = (
        forms.number(values.get("customer_id", "")),
        forms.number(values.get("property_id", "")),
    )
    if not isinstance(cid, int) or not isinstance(pid, int):
        return None
    prop = db.session().get(Property, pid)
    return prop.home if prop is not None and prop.customer_id == cid else None


@blp.post("/bookings/new")
@console_page("dispatch")
def create_booking():
    values = {name: forms.text(name) for name in BOOKING_FIELDS}
    values.update(
        skip_deposit=forms.text("skip_deposit"),
        override_availability=forms.text("override_availability"),
    )
    try:
        data = forms.load(schemas.StaffBookingIn(), _booking_body(values, _home(values)))
        created = staff_bookings.create_staff_booking(data)
    except AppError as exc:
        if exc.status == 404 and not exc.extra.get("errors"):
            raise
        errors, summary = forms.field_errors(exc, (*BOOKING_FIELDS, *ERROR_FIELDS))
        errors = {ERROR_FIELDS.get(k, k): v for k, v in errors.items()}
        return _new_page(values, exc.status, errors, summary)
    return redirect(url_for("console.booking", booking_id=created.id, done="created"), 303)
