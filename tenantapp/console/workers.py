"""Workers in the console (SPEC §5.14, §5.5): the list (filters, pages), a new worker, one worker
(edit, send the invitation again), the teams with their members (move a worker to another team)
and the timesheets with their CSV.

The same services and schemas as the API: ``workers.service.list_workers/create_worker/
update_worker/reinvite`` with ``WorkerIn``/``WorkerPatch`` (``/admin/workers``, ``dispatch`` for
every page and action, reading included) and ``timesheets.service.timesheet/timesheet_csv``
(``/admin/timesheets``, ``finance``). A team's membership is the worker's ``team_id`` — what a
dispatcher changes with ``PATCH /admin/workers/{id}`` — so moving a worker is that patch.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime, timedelta

from flask import Response, g, redirect, request, url_for

from shared.errors import AppError, NotFound, ValidationFailed
from shared.web import i18n
from shared.web.pages import render_page
from tenantapp.bulk import actions as bulk_actions
from tenantapp.bulk import service as bulk
from tenantapp.bulk.schemas import WorkersBulkIn
from tenantapp.console import actions, forms, overview
from tenantapp.console.blueprint import blp
from tenantapp.console.guard import console_page
from tenantapp.console.invoices import amount_cents
from tenantapp.settings.service import tenant_zone
from tenantapp.timesheets import schemas as timesheet_schemas
from tenantapp.timesheets import service as timesheets
from tenantapp.workers import schemas, service

PAGE_SIZE = 50
TEAM_PAGE = 200  # workers a page of the teams board (the API's largest page)
SHEETS_PAGE = 20  # workers a page of the timesheets
FIELDS = ("name", "email", "phone", "team_id", "skills", "pay_type", "pay_percent")
MONEY = {"hourly_rate_cents": "hourly_rate", "pay_flat_cents": "pay_flat"}
FORM_FIELDS = (*FIELDS, *MONEY.values())
DONE = ("created", "saved", "invited", "moved")


def _section():
    g.console_section = "console.workers"


def _teams() -> dict[int, str]:
    return {t.id: t.name for t in overview.teams()}


# -- the list --------------------------------------------------------------------------------


@blp.get("/workers")
@console_page("dispatch")
def workers():
    _section()
    query = actions.query_filters(("active", "team_id", "cursor"))
    args = {k: {"yes": "true", "no": "false"}.get(v, v) for k, v in query.items()}
    errors, summary, status = {}, None, 200
    try:
        result = service.list_workers(
            forms.load(schemas.WorkerListArgs(), {**args, "limit": PAGE_SIZE})
        )
    except AppError as exc:
        errors, summary = forms.field_errors(exc, ("active", "team_id", "cursor"))
        status, result = 422, {"items": [], "next_cursor": None}
    filters = {k: v for k, v in query.items() if k != "cursor"}
    nxt = result["next_cursor"]
    return render_page(
        "console/workers/list.html",
        status=status,
        items=[service.view(w) for w in result["items"]],
        teams=_teams(),
        filters=filters,
        errors=errors,
        summary=summary,
        now=datetime.now(tenant_zone()),
        next_url=url_for("console.workers", **filters, cursor=nxt) if nxt else None,
        first_url=url_for("console.workers", **filters) if query.get("cursor") else None,
    )


# -- a worker's form: the browser's strings → the API's body ---------------------------------


def _body(patch: bool) -> dict:
    """The posted worker form as the JSON the API takes; money typed as "25.50" becomes cents
    (a bad amount is reported with the schema's errors, all at once)."""
    body = forms.collect(("name", "email", "phone", "pay_type", "pay_percent"))
    team = forms.text("team_id").strip()
    body["team_id"] = forms.number(team) if team else None
    body["skills"] = [s.strip() for s in forms.text("skills").split(",") if s.strip()]
    body["active"] = request.form.get("active") in {"1", "on", "true"}
    if patch:
        # The form shows every field: an emptied name or e-mail is refused by the schema (not
        # left unchanged), an emptied phone is removed, as PATCH {"phone": null} does.
        body = {"name": "", "email": "", "phone": None, **body}
    return body


def _load(schema) -> dict:
    body, money_errors = _body(isinstance(schema, schemas.WorkerPatch)), []
    for field, name in MONEY.items():
        try:
            cents = amount_cents(name)
        except ValidationFailed as exc:
            money_errors += exc.extra["errors"]
            continue
        if cents is not None:
            body[field] = cents
    try:
        data = forms.load(schema, body)
    except ValidationFailed as exc:
        raise ValidationFailed([*money_errors, *exc.extra["errors"]]) from exc
    if money_errors:
        raise ValidationFailed(money_errors)
    return data


def _values_of(worker: dict) -> dict:
    """A worker as the form shows it."""
    return {
        **worker,
        "team_id": worker["team_id"] or "",
        "skills": ", ".join(worker["skills"] or ()),
        "hourly_rate": f"{worker['hourly_rate_cents'] / 100:.2f}",
        "pay_flat": f"{worker['pay_flat_cents'] / 100:.2f}",
        "pay_percent": str(worker["pay_percent"]),
    }


def _posted_values() -> dict:
    values = {name: forms.text(name) for name in FORM_FIELDS}
    values["active"] = request.form.get("active") in {"1", "on", "true"}
    return values


# -- new worker ------------------------------------------------------------------------------


def _new_page(status=200, errors=None, summary=None, values=None):
    _section()
    return render_page(
        "console/workers/new.html",
        status=status,
        teams=_teams(),
        errors=errors or {},
        summary=summary,
        values=values
        or {"active": True, "pay_type": "hourly", "hourly_rate": "", "pay_percent": "0"},
    )


@blp.get("/workers/new")
@console_page("dispatch")
def new_worker():
    return _new_page()


@blp.post("/workers/new")
@console_page("dispatch")
def create_worker():
    try:
        worker, _invite_url = service.create_worker(_load(schemas.WorkerIn()))
    except AppError as exc:
        errors, summary = forms.field_errors(exc, (*FIELDS, *MONEY, *MONEY.values()))
        errors = {MONEY.get(k, k): v for k, v in errors.items()}
        return _new_page(exc.status, errors, summary, _posted_values())
    return redirect(url_for("console.worker", worker_id=worker.id, done="created"), 303)


# -- one worker ------------------------------------------------------------------------------


def _worker_page(worker_id: int, status=200, errors=None, summary=None, values=None):
    _section()
    worker = service.view(service.get_worker(worker_id))  # another workspace's id → 404 page
    done = request.args.get("done")
    return render_page(
        "console/workers/one.html",
        status=status,
        worker=worker,
        teams=_teams(),
        errors=errors or {},
        summary=summary,
        values=values or _values_of(worker),
        done=done if done in DONE else None,
        now=datetime.now(tenant_zone()),
    )


@blp.get("/workers/<int:worker_id>")
@console_page("dispatch")
def worker(worker_id: int):
    return _worker_page(worker_id)


@blp.post("/workers/<int:worker_id>")
@console_page("dispatch")
def save_worker(worker_id: int):
    service.get_worker(worker_id)  # 404 first, even for a bad form

    def page(status, errors, summary, _values):
        return _worker_page(worker_id, status, errors, summary, _posted_values())

    done = url_for("console.worker", worker_id=worker_id, done="saved")
    action = lambda: service.update_worker(worker_id, _load(schemas.WorkerPatch()))  # noqa: E731
    return actions.run_form(action, done, page, (*FIELDS, *MONEY.values()), MONEY)


@blp.post("/workers/<int:worker_id>/invite")
@console_page("dispatch")
def invite_worker(worker_id: int):
    def page(status, errors, summary, _values):
        return _worker_page(worker_id, status, errors, summary)

    done = url_for("console.worker", worker_id=worker_id, done="invited")
    return actions.run_form(lambda: service.reinvite(worker_id), done, page)


# -- teams -----------------------------------------------------------------------------------


def _teams_page(status=200, summary=None, bulk_result=None, bulk_errors=None):
    _section()
    cursor = actions.query_filters(("cursor",)).get("cursor")
    try:
        result = service.list_workers({"limit": TEAM_PAGE, "active": True, "cursor": cursor})
    except AppError:  # a damaged cursor: start again
        cursor, result = None, service.list_workers({"limit": TEAM_PAGE, "active": True})
    names = _teams()
    members: dict[int | None, list] = {team_id: [] for team_id in names}
    for w in result["items"]:
        members.setdefault(w.team_id if w.team_id in names else None, []).append(w)
    nxt = result["next_cursor"]
    done = request.args.get("done")
    return render_page(
        "console/workers/teams.html",
        status=status,
        summary=summary,
        teams=names,
        members=members,
        done=done if done in DONE and status == 200 else None,
        bulk_result=bulk_result,
        bulk_errors=bulk_errors or {},
        worker_names={w.id: w.name for w in result["items"]},
        next_url=url_for("console.teams", cursor=nxt) if nxt else None,
        first_url=url_for("console.teams") if cursor else None,
    )


@blp.get("/workers/teams")
@console_page("dispatch")
def teams():
    return _teams_page()


@blp.post("/workers/<int:worker_id>/team")
@console_page("dispatch")
def move_worker(worker_id: int):
    def run():
        team = forms.text("team_id").strip()
        body = {"team_id": forms.number(team) if team else None}
        service.update_worker(worker_id, forms.load(schemas.WorkerPatch(), body))

    def page(status, errors, summary, _values):
        return _teams_page(status, summary or errors.get("team_id"))

    return actions.run_form(run, url_for("console.teams", done="moved"), page)


@blp.post("/workers/teams/bulk")
@console_page("dispatch")
def move_workers():
    """Move the ticked workers to one team through ``bulk.service.run`` (the API's
    ``POST /admin/workers/bulk``: its schema, each worker like ``PATCH /admin/workers/{id}``,
    one result per worker)."""
    team = forms.text("team_id").strip()
    body = {
        "action": "team",
        "ids": [forms.number(v) for v in request.form.getlist("ids")[: bulk_actions.MAX_IDS + 1]],
        "params": {"team_id": forms.number(team) if team else None},
        "dry_run": False,
    }
    try:
        result = bulk.run("worker", bulk_actions.WORKER_ACTIONS, forms.load(WorkersBulkIn(), body))
    except AppError as exc:
        errors, summary = forms.field_errors(exc, ("ids", "params.team_id"))
        return _teams_page(exc.status, summary, bulk_errors=errors)
    return _teams_page(bulk_result=result)


# -- timesheets ------------------------------------------------------------------------------


def _period() -> tuple[dict, dict, dict | None]:
    """The period of the query string (default: this local week, Monday first) → ``(values,
    errors, args)``; ``args`` is None when the API's ``TimesheetArgs`` refuse it."""
    today = datetime.now(tenant_zone()).date()
    monday = today - timedelta(days=today.weekday())
    values = {
        "from": monday.isoformat(),
        "to": (monday + timedelta(days=7)).isoformat(),
        **actions.query_filters(("from", "to", "worker_id")),
    }
    try:
        args = forms.load(timesheet_schemas.TimesheetArgs(), dict(values))
    except ValidationFailed as exc:
        return values, forms.field_errors(exc, ("from", "to", "worker_id"))[0], None
    return values, {}, args


@blp.get("/workers/timesheets")
@console_page("finance")
def timesheet_page():
    _section()
    values, errors, args = _period()
    page_no = forms.number(request.args.get("page", "1"))
    page_no = page_no if isinstance(page_no, int) and page_no > 0 else 1
    report, more, choices = {"items": [], "totals": []}, False, []
    if args is not None:
        # The period's workers in the timesheet's order; only this page's are computed. The
        # worker filter offers the same workers (all of them, however many the company has).
        choices = timesheets.workers_with_time(args["start"], args["end"])
        chosen = args["worker_id"]
        if chosen is not None and chosen not in {w.id for w in choices}:
            # a worker with no time in the period stays chosen (the sheet then says so)
            with suppress(NotFound):  # an unknown id: its sheet is simply empty
                choices = [*choices, service.get_worker(chosen)]
        listed = [chosen] if chosen is not None else [w.id for w in choices]
        page = listed[(page_no - 1) * SHEETS_PAGE : page_no * SHEETS_PAGE]
        more = len(listed) > page_no * SHEETS_PAGE
        report = timesheets.timesheet(args["start"], args["end"], args["worker_id"], only=page)
    totals = report["totals"]
    rows: dict[int, list] = {}
    for item in report["items"]:
        rows.setdefault(item["worker_id"], []).append(item)
    return render_page(
        "console/workers/timesheets.html",
        status=422 if errors else 200,
        values=values,
        errors=errors,
        totals=totals,
        rows=rows,
        workers=choices,
        csv_url=url_for("console.timesheet_csv", **values) if args is not None else None,
        next_url=url_for("console.timesheet_page", **values, page=page_no + 1) if more else None,
        first_url=url_for("console.timesheet_page", **values) if page_no > 1 else None,
    )


@blp.get("/workers/timesheets.csv")
@console_page("finance")
def timesheet_csv():
    values, errors, args = _period()
    if args is None:
        raise ValidationFailed([{"field": k, "message": v} for k, v in errors.items()])
    report = timesheets.timesheet(args["start"], args["end"], args["worker_id"])
    filename = f"timesheets-{values['from']}-{values['to']}.csv"
    return Response(
        "".join(timesheets.timesheet_csv(report)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@blp.app_template_filter("console_hours")
def _hours(minutes) -> str:
    """Minutes as hours and minutes ("7:05"), the way timesheets are read."""
    minutes = int(minutes or 0)
    return f"{minutes // 60}:{minutes % 60:02d}"


@blp.app_template_filter("console_worker_option")
def _worker_option(worker) -> tuple[str, str]:
    if worker.active:
        return str(worker.id), worker.name
    return str(worker.id), i18n.message("console.workers.inactive_option", name=worker.name)
