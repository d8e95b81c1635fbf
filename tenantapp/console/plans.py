"""Plans in the console (SPEC §5.14, §5.10): the list (status filter, pages), one plan with its
schedule preview (every date the rule gives over the next weeks, with its state), and pause,
resume and cancel through ``plans.changes`` — the services of ``/admin/plans/{id}/pause|resume|
cancel``, with their schemas. Reading needs ``view``; changing needs ``dispatch``.
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

PAGE_SIZE = 50
PREVIEW_WEEKS = 12
DONE = ("paused", "resumed", "cancelled")


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
        values=values or {"from": today.isoformat(), "effective_on": today.isoformat()},
        done=done if done in DONE else None,
    )


@blp.get("/plans/<int:plan_id>")
@console_page("view")
def plan(plan_id: int):
    return _plan_page(plan_id)


def _change(plan_id: int, what: str, action, fields=()):
    def page(status, errors, summary, values):
        return _plan_page(plan_id, status, errors, summary, values)

    done = url_for("console.plan", plan_id=plan_id, done=what)
    return actions.run_form(action, done, page, fields)


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
