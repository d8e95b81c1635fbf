"""``/ops/``: the operator console pages (SPEC §4.5).

Operators only, exactly like ``/ops/rq/``: every request (static files included) passes
``authenticate_operator`` first — Basic credentials or an operator token; none → 401 with a Basic
challenge, a tenant's token → 403, a tenant's session cookie means nothing here. Every change is a
POST from a confirmation page carrying a CSRF token (``csrf.py``), recorded in ``ops_audit``, then
answered with a redirect (303) back to the page it concerns. Views call the console's services.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from flask import Blueprint, g, redirect, request, url_for
from sqlalchemy import select

from controlplane.fleet import report
from controlplane.ops import service as ops
from controlplane.ops_console import actions, charts, csrf, deadletters, series
from controlplane.ops_console import tenants as tenant_views
from controlplane.ops_console.models import OpsAuditEntry
from shared import db
from shared.auth.guards import authenticate_operator
from shared.errors import AppError, NotFound
from shared.runtime import current_runtime
from shared.web.assets import assets_of
from shared.web.pages import render_page

bp = Blueprint("ops_console", __name__, url_prefix="/ops", template_folder="templates")
STYLESHEET = Path(__file__).resolve().parent / "static" / "ops.css"
# The console's pages carry an operator's view of every tenant: never cached, never referred on.
HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "same-origin"}
TENANT_ACTIONS = {
    "suspend": ("suspended", "Suspend"),
    "resume": ("active", "Resume"),
    "move": (None, "Move"),
}


@bp.before_request
def _operator_only():
    g.principal = authenticate_operator()
    g.operator = g.principal.operator


@bp.record_once
def _register_stylesheet(state):
    # A fingerprinted asset of the page stack (``shared/web``), next to its ``web/app.css``.
    assets_of(state.app).add("ops/ops.css", STYLESHEET)


@bp.after_request
def _headers(resp):
    resp.headers.update(HEADERS)  # error responses too (a 401 or 404 from a console URL)
    return resp


@bp.context_processor
def _context():
    return {
        "operator": g.get("operator"),
        "csrf_token": csrf.token_for(g.operator) if g.get("operator") else "",
    }


def _render(template: str, status: int = 200, **context):
    return render_page(template, status=status, headers=HEADERS, **context)


def _problem(exc: AppError) -> list[str]:
    errors = exc.extra.get("errors") or []
    return [e["message"] for e in errors] or [exc.detail]


# ---------------------------------------------------------------------------- tenants
@bp.get("/")
def tenants():
    query = tenant_views.TenantQuery.from_args(request.args)
    return _render(
        "ops/tenants.html",
        query=query,
        page=tenant_views.tenants_page(query),
        choices=tenant_views.filter_choices(),
        section="tenants",
    )


@bp.get("/tenants/<uuid:tenant_id>")
def tenant(tenant_id: uuid.UUID):
    return _render(
        "ops/tenant.html",
        data=tenant_views.tenant_page(tenant_id),
        done=request.args.get("done", ""),
        shards=sorted(current_runtime().shards),
        section="tenants",
    )


def _confirm_tenant(tenant_id: uuid.UUID, action: str, status: int = 200, errors=(), form=None):
    if action not in TENANT_ACTIONS:
        raise NotFound("No such action.")
    return _render(
        "ops/confirm_tenant.html",
        status,
        tenant=tenant_views.tenant_or_404(tenant_id),
        action=action,
        label=TENANT_ACTIONS[action][1],
        shards=sorted(current_runtime().shards),
        errors=list(errors),
        form=form or {},
        section="tenants",
    )


@bp.get("/tenants/<uuid:tenant_id>/<string:action>")
def confirm_tenant(tenant_id: uuid.UUID, action: str):
    return _confirm_tenant(tenant_id, action)


@bp.post("/tenants/<uuid:tenant_id>/<string:action>")
def act_on_tenant(tenant_id: uuid.UUID, action: str):
    if action not in TENANT_ACTIONS:
        raise NotFound("No such action.")
    csrf.check(g.operator)
    form = request.form
    try:
        if action == "move":
            actions.start_move(tenant_id, (form.get("shard") or "").strip(), g.operator)
            done = "move-started"
        else:
            to_status = TENANT_ACTIONS[action][0]
            actions.set_status(tenant_id, to_status, g.operator, (form.get("reason") or "")[:500])
            done = to_status
    except AppError as exc:
        if exc.status == 404:
            raise
        return _confirm_tenant(tenant_id, action, exc.status, _problem(exc), form)
    return redirect(url_for(".tenant", tenant_id=tenant_id, done=done), 303)


# ---------------------------------------------------------------------------- charts
@bp.get("/charts")
def charts_page():
    range_name = request.args.get("range", series.DEFAULT_RANGE)
    if range_name not in series.RANGES:
        range_name = series.DEFAULT_RANGE
    return _render(
        "ops/charts.html",
        charts=charts.build(range_name),
        range_name=range_name,
        ranges=list(series.RANGES),
        last=series.last_snapshot(),
        section="charts",
    )


# ---------------------------------------------------------------------------- migrations
@bp.get("/migrations")
def migrations():
    return _render(
        "ops/migrations.html",
        fleet=report.fleet_status(db.session()),
        started=request.args.get("started", ""),
        section="migrations",
    )


@bp.get("/migrations/run")
def confirm_migration():
    return _render(
        "ops/confirm_migration.html",
        fleet=report.fleet_status(db.session()),
        errors=[],
        form={},
        section="migrations",
    )


@bp.post("/migrations/run")
def run_migration():
    csrf.check(g.operator)
    slug = (request.form.get("tenant") or "").strip() or None
    try:
        parallel = int(request.form.get("parallel") or 2)
        if not 1 <= parallel <= 8:
            raise ValueError
    except ValueError:
        return _render(
            "ops/confirm_migration.html",
            422,
            fleet=report.fleet_status(db.session()),
            errors=["Parallel workers: a whole number from 1 to 8."],
            form=request.form,
            section="migrations",
        )
    try:
        run_id = actions.start_migration(g.operator, slug, parallel)
    except AppError as exc:
        return _render(
            "ops/confirm_migration.html",
            exc.status,
            fleet=report.fleet_status(db.session()),
            errors=_problem(exc),
            form=request.form,
            section="migrations",
        )
    return redirect(url_for(".migrations", started=str(run_id)), 303)


# ---------------------------------------------------------------------------- jobs
@bp.get("/jobs")
def jobs():
    return _render("ops/jobs.html", report=ops.jobs_report(), section="jobs")


# ---------------------------------------------------------------------------- dead letters
@bp.get("/dlq")
def dead_letters():
    return _render(
        "ops/dlq.html",
        rows=deadletters.dead_letters(),
        done=request.args.get("done", ""),
        section="dlq",
    )


def _scope_label(scope: str) -> str:
    if scope == "platform":
        return "the platform outbox"
    try:
        ref = current_runtime().tenants.by_id(uuid.UUID(scope))
    except ValueError:
        ref = None
    if ref is None:
        raise NotFound("No such dead-letter scope.")
    return ref.slug


@bp.get("/dlq/replay")
def confirm_replay():
    scope, kind = request.args.get("scope", ""), request.args.get("kind", "")
    return _render(
        "ops/confirm_replay.html",
        scope=scope,
        kind=kind,
        scope_label=_scope_label(scope),
        max=actions.REPLAY_MAX,
        errors=[],
        section="dlq",
    )


@bp.post("/dlq/replay")
def replay():
    csrf.check(g.operator)
    scope, kind = request.form.get("scope", ""), request.form.get("kind", "")
    label = _scope_label(scope)
    try:
        n = actions.replay_dead_letters(scope, kind, g.operator)
    except AppError as exc:
        if exc.status == 404:
            raise
        return _render(
            "ops/confirm_replay.html",
            exc.status,
            scope=scope,
            kind=kind,
            scope_label=label,
            max=actions.REPLAY_MAX,
            errors=_problem(exc),
            section="dlq",
        )
    return redirect(url_for(".dead_letters", done=f"{n} {kind} replayed for {label}"), 303)


# ---------------------------------------------------------------------------- audit
@bp.get("/audit")
def audit():
    entries = db.session().scalars(
        select(OpsAuditEntry).order_by(OpsAuditEntry.id.desc()).limit(200)
    )
    return _render("ops/audit.html", entries=list(entries), section="audit")
