"""Plans in the console (SPEC §5.14, §5.10): the list (status filter, pages), one plan with its
schedule preview (every date the rule gives over the next weeks, with its state); a change from
a date (``changes.update_plan`` with ``PlanPatch``, the API's ``PATCH /admin/plans/{id}``), pause,
resume and cancel through ``plans.changes`` — the services of ``/admin/plans/{id}/pause|resume|
cancel``, with their schemas. The visits waiting for a team: ``plan_conflicts``. Reading needs
``view``; changing needs ``dispatch``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import g, request, url_for

from shared import db
from shared.errors import AppError
from shared.web import i18n
from shared.web.pages import render_page
from tenantapp.console import actions, forms, overview
from tenantapp.console.blueprint import blp
from tenantapp.console.guard import console_page
from tenantapp.customers.models import Customer
from tenantapp.plans import changes, schemas, service
from tenantapp.plans.models import PLAN_STATUSES
from tenantapp.plans.rules import FREQUENCIES
from tenantapp.pricing.config import SERVICE_TYPES

PAGE_SIZE = 50
PREVIEW_WEEKS = 12
DONE = ("paused", "resumed", "cancelled", "changed", "created")
CHANGE_FIELDS = ("effective_from", "frequency", "start_time", "team_id", "service_type", "beds")
CHANGE_FIELDS += ("baths",)
# API field → the form's field, for errors of the nested estimate request.
CHANGE_RENAME = {
    "estimate_request": "beds",
    "estimate_request.beds": "beds",
    "estimate_request.baths": "baths",
    "estimate_request.service_type": "service_type",
}
# What of a plan's stored estimate request a change carries over (EstimateRequestSchema's own).
KEPT_REQUEST = ("beds", "baths", "service_type", "heavy_grease", "multi_floor", "add_ons")


@blp.get("/plans")
@console_page("view")
def plans():
    g.console_section = "console.plans"
    query = actions.query_filters(("status", "cursor"))
    errors, summary, status = {}, None, 200
    try:
        result = service.list_plans(
            forms.load(schemas.PlanListArgs(), {**query, "limit": PAGE_SIZE})
        )
    except AppError as exc:
        errors, summary = forms.field_errors(exc, ("status", "cursor"))
        status = 422
        result = {"items": [], "next_cursor": None}
    filters = {k: v for k, v in query.items() if k != "cursor"}
    nxt = result["next_cursor"]
    return render_page(
        "console/plans/list.html",
        status=status,
        items=result["items"],
        names=actions.customer_names(p.customer_id for p in result["items"]),
        teams={t.id: t.name for t in overview.teams()},
        filters=filters,
        errors=errors,
        summary=summary,
        statuses=PLAN_STATUSES,
        next_url=url_for("console.plans", **filters, cursor=nxt) if nxt else None,
        first_url=url_for("console.plans", **filters) if query.get("cursor") else None,
    )


def _plan_page(plan_id: int, status=200, errors=None, summary=None, values=None):
    g.console_section = "console.plans"
    plan = service.get(plan_id)  # another workspace's id → NotFound → the 404 page
    today = datetime.now(ZoneInfo(plan.time_zone)).date()
    preview = service.schedule(plan, today, today + timedelta(weeks=PREVIEW_WEEKS))
    done = request.args.get("done")
    return render_page(
        "console/plans/one.html",
        status=status,
        plan=plan,
        customer=db.session().get(Customer, plan.customer_id),
        teams={t.id: t.name for t in overview.teams()},
        preview=preview,
        weeks=PREVIEW_WEEKS,
        today=today,
        errors=errors or {},
        summary=summary,
        values={**_defaults(plan, today), **(values or {})},
        frequencies=FREQUENCIES,
        service_types=SERVICE_TYPES,
        done=done if done in DONE else None,
    )


def _defaults(plan, today) -> dict:
    """The forms' first values: today for the dates, the plan as it is for a change."""
    request = plan.estimate_request or {}
    return {
        "from": today.isoformat(),
        "effective_on": today.isoformat(),
        "effective_from": today.isoformat(),
        "frequency": plan.frequency,
        "start_time": plan.start_time.strftime("%H:%M"),
        "team_id": str(plan.team_id or ""),
        "service_type": request.get("service_type", "standard"),
        "beds": str(request.get("beds", "")),
        "baths": f"{request['baths']:g}" if "baths" in request else "",
    }


@blp.get("/plans/<int:plan_id>")
@console_page("view")
def plan(plan_id: int):
    return _plan_page(plan_id)


def _change(plan_id: int, what: str, action, fields=()):
    def page(status, errors, summary, values):
        return _plan_page(plan_id, status, errors, summary, values)

    done = url_for("console.plan", plan_id=plan_id, done=what)
    return actions.run_form(action, done, page, fields)


def change_body(plan, values: dict, reprice: bool) -> dict:
    """``PlanPatch``'s body from the change form: ``effective_from`` and only what differs from
    the plan (so an untouched team or time is not "changed"); the home details and service make
    a new estimate request on top of the plan's own."""
    body: dict = {"effective_from": values["effective_from"]} if values["effective_from"] else {}
    if values["frequency"] != plan.frequency:
        body["frequency"] = values["frequency"]
    if values["start_time"] != plan.start_time.strftime("%H:%M"):
        body["start_time"] = values["start_time"]
    if values["team_id"] != str(plan.team_id or ""):
        body["team_id"] = forms.number(values["team_id"]) if values["team_id"] else None
    stored = plan.estimate_request or {}
    request = {k: stored[k] for k in KEPT_REQUEST if k in stored}
    asked = {
        "service_type": values["service_type"] or "standard",
        "beds": forms.number(values["beds"]),
        "baths": forms.decimal(values["baths"]),
    }
    if any(request.get(k) != v for k, v in asked.items()):
        body["estimate_request"] = {**request, **asked}
    if reprice:
        body["reprice"] = True
    return body


@blp.post("/plans/<int:plan_id>/change")
@console_page("dispatch")
def change_plan(plan_id: int):
    """The API's ``PATCH /admin/plans/{id}``: the same schema and ``changes.update_plan``."""

    def run():
        plan = service.get(plan_id)
        values = {name: forms.text(name).strip() for name in CHANGE_FIELDS}
        body = change_body(plan, values, forms.text("reprice") == "1")
        if list(body) == ["effective_from"]:
            raise AppError(i18n.message("console.plans.change.nothing"), status=422)
        changes.update_plan(plan_id, forms.load(schemas.PlanPatch(), body))

    def page(status, errors, summary, values):
        values["reprice"] = forms.text("reprice")
        return _plan_page(plan_id, status, errors, summary, values)

    done = url_for("console.plan", plan_id=plan_id, done="changed")
    return actions.run_form(run, done, page, CHANGE_FIELDS, CHANGE_RENAME)


@blp.post("/plans/<int:plan_id>/pause")
@console_page("dispatch")
def pause_plan(plan_id: int):
    def run():
        data = forms.load(schemas.PauseIn(), forms.collect(("from", "until")))
        changes.pause(plan_id, data["start"], data["until"])

    return _change(plan_id, "paused", run, ("from", "until"))


@blp.post("/plans/<int:plan_id>/resume")
@console_page("dispatch")
def resume_plan(plan_id: int):
    return _change(plan_id, "resumed", lambda: changes.resume(plan_id))


@blp.post("/plans/<int:plan_id>/cancel")
@console_page("dispatch")
def cancel_plan(plan_id: int):
    def run():
        data = forms.load(schemas.CancelPlanIn(), forms.collect(("effective_on", "reason")))
        changes.cancel(plan_id, data["effective_on"], data["reason"])

    return _change(plan_id, "cancelled", run, ("effective_on", "reason"))


@blp.app_template_filter("console_plan_status_option")
def _status_option(status: str) -> tuple[str, str]:
    return status, i18n.message(f"console.plans.statuses.{status}")


@blp.app_template_filter("console_plan_frequency_option")
def _frequency_option(frequency: str) -> tuple[str, str]:
    return frequency, i18n.message(f"book.frequencies.{frequency}")


@blp.app_template_filter("console_plan_team_option")
def _team_option(item) -> tuple[str, str]:
    team_id, name = item
    return str(team_id), name
