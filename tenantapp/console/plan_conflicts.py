"""Plan visits waiting for a team in the console (SPEC §5.14, §5.10): the visits no team could
take (``plans.service.conflicts``, the API's ``/admin/plans/conflicts``), from today, 50 a page,
each resolved with the API's own action — ``lifecycle.move`` (``/admin/bookings/{id}/move``) to a
team at the visit's time or to another time, or ``changes.skip`` (``/admin/bookings/{id}/skip``).
Reading needs ``view``; resolving needs ``dispatch``.
"""

from __future__ import annotations

from datetime import datetime

from flask import g, request, url_for

from shared import db
from shared.errors import AppError, NotFound
from shared.web.pages import render_page
from tenantapp.bookings import lifecycle
from tenantapp.bookings import schemas as bookings_schemas
from tenantapp.bookings.models import Booking
from tenantapp.console import actions, forms, overview
from tenantapp.console.blueprint import blp
from tenantapp.console.bookings import move_from_form
from tenantapp.console.guard import console_page
from tenantapp.plans import changes, schemas, service
from tenantapp.settings.service import tenant_zone

CONFLICT_PAGE = 50
RESOLVED = ("assigned", "moved", "skipped")
RESOLVE_FIELDS = {
    "assign": ("team_id",),
    "move": ("date", "time", "team_id"),
    "skip": ("reason",),
}


def _conflicts_page(status=200, errors=None, summary=None, values=None, failed=None):
    """The conflicts from ``from`` (default: today) to ``to``, ``CONFLICT_PAGE`` a page; a
    refused resolve form shows its errors in its own row (``failed``: booking id, form)."""
    g.console_section = "console.plans"
    zone = tenant_zone()
    today = datetime.now(zone).date()
    query = actions.query_filters(("from", "to"))
    start = forms.number(request.args.get("start", "0")[:9])
    start = start if isinstance(start, int) and start > 0 else 0
    filter_errors: dict = {}
    try:
        args = forms.load(schemas.OptionalRangeArgs(), query)
    except AppError as exc:
        filter_errors, _ = forms.field_errors(exc, ("from", "to"))
        status, args = 422, {"start": None, "end": None}
    items = service.conflicts(args["start"] or today, args["end"], zone)
    page = items[start : start + CONFLICT_PAGE]
    more = start + CONFLICT_PAGE < len(items)
    filters = {k: v for k, v in query.items() if not filter_errors}
    done = request.args.get("done")
    return render_page(
        "console/plans/conflicts.html",
        status=status,
        items=page,
        count=len(items),
        names=actions.customer_names(c["customer_id"] for c in page),
        teams={t.id: t.name for t in overview.teams()},
        filters=query,
        filter_errors=filter_errors,
        today=today,
        errors=errors or {},
        summary=summary,
        values=values or {},
        failed=failed,
        done=done if done in RESOLVED else None,
        next_url=url_for("console.plan_conflicts", **filters, start=start + CONFLICT_PAGE)
        if more
        else None,
        first_url=url_for("console.plan_conflicts", **filters) if start else None,
    )


@blp.get("/plans/conflicts")
@console_page("view")
def plan_conflicts():
    return _conflicts_page()


def _resolve(booking_id: int, form: str, what: str, action):
    def page(status, errors, summary, values):
        return _conflicts_page(status, errors, summary, values, failed=(booking_id, form))

    done = url_for("console.plan_conflicts", done=what)
    rename = {"starts_at": "time"} if form == "move" else None
    return actions.run_form(action, done, page, RESOLVE_FIELDS[form], rename)


@blp.post("/plans/conflicts/<int:booking_id>/assign")
@console_page("dispatch")
def assign_conflict(booking_id: int):
    """Give the visit to a team at its own time: the API's ``/move`` with the same start (the
    team's hours, blackouts and bookings are checked like a new booking's); no team chosen →
    the first free one."""

    def run():
        booking = db.session().get(Booking, booking_id)
        if booking is None:
            raise NotFound("No such booking.")
        team = forms.text("team_id").strip()
        body = {"starts_at": booking.starts_at.isoformat()}
        if team:
            body["team_id"] = forms.number(team)
        data = forms.load(bookings_schemas.MoveIn(), body)
        db.close_session()
        lifecycle.move(booking_id, data["starts_at"], data["team_id"], by="staff")

    return _resolve(booking_id, "assign", "assigned", run)


@blp.post("/plans/conflicts/<int:booking_id>/move")
@console_page("dispatch")
def move_conflict(booking_id: int):
    """Another day or time (and team): the API's ``/move``, as the booking's page does."""
    return _resolve(booking_id, "move", "moved", lambda: move_from_form(booking_id))


@blp.post("/plans/conflicts/<int:booking_id>/skip")
@console_page("dispatch")
def skip_conflict(booking_id: int):
    """Skip this visit of its plan: the API's ``POST /admin/bookings/{id}/skip``."""

    def run():
        data = forms.load(schemas.SkipIn(), forms.collect(("reason",)))
        changes.skip(booking_id, data["reason"], by="staff")

    return _resolve(booking_id, "skip", "skipped", run)
