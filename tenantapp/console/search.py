"""The search box on every page: ``/console/search?q=`` over ``tenantapp.search`` (SPEC §5.9)."""

from __future__ import annotations

from flask import g, request, url_for

from shared.errors import ValidationFailed
from shared.web.pages import render_page
from tenantapp.console.blueprint import blp
from tenantapp.console.guard import console_page
from tenantapp.search import service

MAX_Q = 200
PER_TYPE = 10  # the API's default per type
TYPES = ("customer", "booking", "lead", "invoice", "worker")


def hit_url(hit: dict) -> str:
    if hit["type"] == "customer":
        return url_for("console.customer", customer_id=hit["id"])
    if hit["type"] == "booking":
        return url_for("console.booking", booking_id=hit["id"])
    return url_for(
        {"lead": "console.leads", "invoice": "console.invoices", "worker": "console.workers"}[
            hit["type"]
        ]
    )


@blp.get("/search")
@console_page("view")
def search():
    q = request.args.get("q", "").replace("\x00", "").strip()[:MAX_Q]
    groups: dict[str, list[dict]] = {}
    error = None
    if q:
        try:
            for hit in service.search(q, None, PER_TYPE)["items"]:
                groups.setdefault(hit["type"], []).append({**hit, "url": hit_url(hit)})
        except ValidationFailed as exc:
            error = "; ".join(e["message"] for e in exc.extra.get("errors", []))
    g.console_section = None
    ordered = [(kind, groups[kind]) for kind in TYPES if kind in groups]
    return render_page(
        "console/search.html", search_q=q, groups=ordered, error=error, total=len(groups)
    )
