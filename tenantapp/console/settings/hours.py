"""Settings → Hours and blackouts: a team's working hours (``GET/PUT
/admin/teams/{id}/working-hours``) and the blackouts (``GET/POST /admin/blackouts``,
``DELETE /admin/blackouts/{id}``), admin like the API, times in the tenant's zone.

One team's week at a time (a team picker; the first active team by default): each weekday a
start and an end, both empty for a day off. Blackouts: the ones not over yet, 20 a page, oldest
first, each with Delete; the add form takes local date-times (``BlackoutIn``'s naive values are
tenant-local).
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import redirect, request, url_for

from tenantapp.console import actions, forms
from tenantapp.console.blueprint import blp
from tenantapp.console.guard import console_page
from tenantapp.console.settings import common
from tenantapp.scheduling import schemas, service
from tenantapp.settings.service import tenant_zone

HERE = "console.settings_hours"
DAYS = range(7)
PAGE_SIZE = 20
BLACKOUT_FIELDS = ("team_id", "starts_at", "ends_at", "reason")
HOURS_IN = schemas.HoursListIn()
BLACKOUT_IN = schemas.BlackoutIn()


def _team_id() -> int | None:
    raw = request.args.get("team", "")
    if raw.isdigit() and len(raw) < 10:
        return int(raw)
    active = [t for t in service.list_teams() if t.active]
    return active[0].id if active else None


def _page_number() -> int:
    raw = request.args.get("page", "1")
    return int(raw) if raw.isdigit() and 0 < len(raw) < 6 and int(raw) > 0 else 1


def _page(team_id=None, status=200, errors=None, summary=None, values=None):
    team_id = team_id if team_id is not None else _team_id()
    zone = tenant_zone()
    week = {}
    if team_id is not None:  # another workspace's team id → NotFound → the 404 page
        week = {
            w.day_of_week: (w.start_time.strftime("%H:%M"), w.end_time.strftime("%H:%M"))
            for w in service.working_hours(team_id)
        }
    values = values or {}
    if request.method == "POST" and "hours" in values:
        week = values["hours"]
    number = _page_number()
    upcoming = service.list_blackouts(datetime.now(UTC), None)
    shown = upcoming[(number - 1) * PAGE_SIZE : number * PAGE_SIZE]
    more = len(upcoming) > number * PAGE_SIZE
    teams = service.list_teams()
    return common.page(
        "hours.html",
        HERE,
        status=status,
        teams=teams,
        team_names={t.id: t.name for t in teams},
        team_id=team_id,
        week=week,
        days=DAYS,
        blackouts=[(b, b.starts_at.astimezone(zone), b.ends_at.astimezone(zone)) for b in shown],
        zone=zone.key,
        errors=errors or {},
        summary=summary,
        values=values,
        next_url=url_for(HERE, team=team_id, page=number + 1) if more else None,
        first_url=url_for(HERE, team=team_id) if number > 1 else None,
    )


@blp.get("/settings/hours")
@console_page("admin")
def settings_hours():
    return _page()


def _posted_week() -> tuple[list[dict], dict[int, int], dict[int, tuple[str, str]]]:
    """The week as ``PUT working-hours`` takes it (days with a time), which weekday each item
    is, and what was typed."""
    items, weekday, typed = [], {}, {}
    for day in DAYS:
        start, end = forms.text(f"start_{day}").strip(), forms.text(f"end_{day}").strip()
        typed[day] = (start, end)
        if start or end:
            weekday[len(items)] = day
            items.append(
                {"day_of_week": day}
                | ({"start": start} if start else {})
                | ({"end": end} if end else {})
            )
    return items, weekday, typed


@blp.post("/settings/hours/<int:team_id>")
@console_page("admin")
def save_hours(team_id: int):
    items, weekday, typed = _posted_week()

    def run():
        data = forms.load(HOURS_IN, {"hours": items})
        service.replace_working_hours(team_id, data["hours"])

    def page(status, errors, summary, values):
        beside = {}
        for field, message in errors.items():  # "hours.<n>.end" or "<n>.end" → end_<weekday>
            parts = field.removeprefix("hours.").split(".")
            if len(parts) == 2 and parts[0].isdigit() and int(parts[0]) in weekday:
                beside.setdefault(f"{parts[1]}_{weekday[int(parts[0])]}", message)
            else:
                summary = f"{summary}; {message}" if summary else message
        return _page(team_id, status, beside, summary, {"hours": typed})

    done = url_for(HERE, team=team_id, done="hours")
    return actions.run_form(run, done, page)


@blp.post("/settings/blackouts")
@console_page("admin")
def add_blackout():
    def run():
        body = forms.collect(BLACKOUT_FIELDS, numbers=("team_id",))
        service.create_blackout(forms.load(BLACKOUT_IN, body))

    def page(status, errors, summary, values):
        return _page(None, status, errors, summary, values)

    done = url_for(HERE, team=request.args.get("team"), done="blackout_added")
    return actions.run_form(run, done, page, BLACKOUT_FIELDS)


@blp.post("/settings/blackouts/<int:blackout_id>/delete")
@console_page("admin")
def delete_blackout(blackout_id: int):
    service.delete_blackout(blackout_id)  # another workspace's id → NotFound → the 404 page
    return redirect(url_for(HERE, done="blackout_deleted"), 303)
