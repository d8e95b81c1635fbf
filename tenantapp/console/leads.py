"""Leads in the console (SPEC §5.14, §5.2): the list, newest first, filtered by status and the
day they came in, with pages; a bulk status change through ``bulk.service.run`` (the API's
``POST /admin/leads/bulk``: its schema, its status machine, one result per lead).

Reading needs ``view`` (``GET /admin/leads``), changing needs ``dispatch`` — the API's rules.
"""

from __future__ import annotations

from flask import g, request, url_for

from shared.errors import AppError
from shared.web import i18n
from shared.web.pages import render_page
from tenantapp.bulk import service as bulk
from tenantapp.bulk.actions import LEAD_ACTIONS
from tenantapp.bulk.schemas import LeadsBulkIn
from tenantapp.console import actions, forms
from tenantapp.console.blueprint import blp
from tenantapp.console.guard import console_page
from tenantapp.leads import schemas, service
from tenantapp.leads.models import LEAD_STATUSES
from tenantapp.settings.service import local_day_start, tenant_zone

PAGE_SIZE = 50
FILTERS = ("status", "from", "to")
MAX_BULK = 500


def _list_page(status=200, bulk_result=None, bulk_errors=None, bulk_summary=None):
    g.console_section = "console.leads"
    query = actions.query_filters((*FILTERS, "cursor"))
    errors, summary = {}, None
    try:
        args = forms.load(schemas.LeadListArgs(), {**query, "limit": PAGE_SIZE})
        result = service.list_leads(
            args["status"],
            args["limit"],
            args["cursor"],
            local_day_start(args["start"]),
            local_day_start(args["end"]),
        )
    except AppError as exc:
        errors, summary = forms.field_errors(exc, (*FILTERS, "cursor"))
        status = 422
        result = {"items": [], "next_cursor": None}
    filters = {k: v for k, v in query.items() if k != "cursor"}
    nxt = result["next_cursor"]
    return render_page(
        "console/leads/list.html",
        status=status,
        items=result["items"],
        zone=tenant_zone(),
        filters=filters,
        errors=errors,
        summary=summary,
        statuses=LEAD_STATUSES,
        next_url=url_for("console.leads", **filters, cursor=nxt) if nxt else None,
        first_url=url_for("console.leads", **filters) if query.get("cursor") else None,
        bulk_result=bulk_result,
        bulk_errors=bulk_errors or {},
        bulk_summary=bulk_summary,
    )


@blp.get("/leads")
@console_page("view")
def leads():
    return _list_page()


@blp.post("/leads/bulk")
@console_page("dispatch")
def leads_bulk():
    ids = [forms.number(v) for v in request.form.getlist("ids")[: MAX_BULK + 1]]
    body = {
        "action": "status",
        "ids": ids,
        "params": {"status": forms.text("status")},
        "dry_run": False,
    }
    try:
        result = bulk.run("lead", LEAD_ACTIONS, forms.load(LeadsBulkIn(), body))
    except AppError as exc:
        errors, summary = forms.field_errors(exc, ("ids", "params.status"))
        return _list_page(exc.status, bulk_errors=errors, bulk_summary=summary)
    return _list_page(bulk_result=result)


@blp.app_template_filter("console_lead_status_option")
def _status_option(status: str) -> tuple[str, str]:
    return status, i18n.message(f"console.leads.statuses.{status}")
