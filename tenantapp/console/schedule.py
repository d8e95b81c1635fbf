"""The schedule board (SPEC §5.14): ``/console/schedule?day=YYYY-MM-DD&view=day|week``.

One lane per active team (plus "No team" when a plan visit waits for one); bookings are blocks
at their local times (06:00–22:00 in half-hour columns, placed by CSS classes since the CSP
forbids style attributes), blackouts shaded. A booking moves with the form under the board or
by dragging its block onto a half hour of a lane (``console.js`` fills the same form); both call
``lifecycle.move`` — the API's ``/move`` — and show its 409s as messages.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask import g, redirect, request, url_for
from markupsafe import Markup, escape

from shared.errors import AppError
from shared.web.pages import render_page
from tenantapp.console import forms, overview
from tenantapp.console.blueprint import blp
from tenantapp.console.bookings import move_from_form
from tenantapp.console.guard import console_page
from tenantapp.settings.service import tenant_zone

FIRST_HOUR, LAST_HOUR = 6, 22
COLUMNS = (LAST_HOUR - FIRST_HOUR) * 2  # half hours
MAX_ROWS = 9


@dataclass
class Lane:
    team_id: int | None
    name: str
    blocks: list = field(default_factory=list)  # (block, at, span, row)
    shaded: list = field(default_factory=list)  # (at, span, reason)
    rows: int = 1
    days: dict = field(default_factory=dict)  # week view: date → [block]
    dark_days: set = field(default_factory=set)


def _column(moment: datetime, day: date) -> float:
    """Half-hour columns since FIRST_HOUR on ``day`` (may be outside 0..COLUMNS)."""
    start = datetime.combine(day, time(FIRST_HOUR), tzinfo=moment.tzinfo)
    return (moment - start).total_seconds() / 1800


def _place(start_col: float, end_col: float) -> tuple[int, int] | None:
    at = max(0, math.floor(start_col))
    end = min(COLUMNS, math.ceil(end_col))
    if end <= 0 or at >= COLUMNS:
        return None
    return at, max(1, end - at)


def _stack(placed: list) -> tuple[list, int]:
    """Give overlapping blocks their own rows (first free row, at most MAX_ROWS)."""
    ends: list[int] = []
    out = []
    for block, at, span in placed:
        for row, end in enumerate(ends):
            if end <= at:
                ends[row] = at + span
                break
        else:
            row = len(ends)
            ends.append(at + span)
        out.append((block, at, span, min(row, MAX_ROWS - 1) + 1))
    return out, max(1, min(len(ends), MAX_ROWS))


def _parse(day_text: str, view: str) -> tuple[date, str, str | None]:
    problem = None
    try:
        day = date.fromisoformat(day_text) if day_text else overview.local_today()
    except ValueError:
        day, problem = overview.local_today(), "day must be a date (YYYY-MM-DD)"
    if view not in ("day", "week"):
        view, problem = "day", problem or "view must be day or week"
    return day, view, problem


def _clock(moment: datetime) -> str:
    return moment.strftime("%I:%M %p").lstrip("0")


def week_cell(blocks: list, booking_base: str, services: dict) -> Markup:
    """One team-day cell of the week board as HTML, built here rather than in a Jinja loop: a
    week of a busy company is ~1 000 blocks, and ``Markup.format`` costs ~0.1 ms a block. Every
    interpolated value goes through ``escape`` (test_names_are_escaped_on_both_boards)."""
    html = "".join(
        f'<a class="block {escape(b.status.lower())}" href="{escape(booking_base)}{int(b.id)}">'
        f"<strong>{escape(b.customer_name)}</strong>"
        f"<span>{escape(services.get(b.service_type, b.service_type))} · "
        f"{escape(_clock(b.starts_local))}</span></a>"
        for b in blocks
    )
    return Markup(html)  # noqa: S704 (every value above is escaped)


def board(day: date, view: str, zone=None) -> dict:
    zone = zone or tenant_zone()
    days = 7 if view == "week" else 1
    start, end = overview.day_bounds(day, days, zone)
    teams = overview.teams()
    lanes = {t.id: Lane(t.id, t.name) for t in teams}
    blocks = overview.blocks(start, end, zone)
    for block in blocks:
        if block.team_id not in lanes:
            lanes[block.team_id] = Lane(block.team_id, "")
    for blackout in overview.blackouts(start, end):
        targets = lanes.values() if blackout.team_id is None else [lanes.get(blackout.team_id)]
        for lane in filter(None, targets):
            b_start, b_end = blackout.starts_at.astimezone(zone), blackout.ends_at.astimezone(zone)
            if view == "day":
                spot = _place(_column(b_start, day), _column(b_end, day))
                if spot:
                    lane.shaded.append((*spot, blackout.reason))
            else:
                for offset in range(days):
                    d = day + timedelta(days=offset)
                    d_start, d_end = overview.day_bounds(d, 1, zone)
                    if blackout.starts_at < d_end and blackout.ends_at > d_start:
                        lane.dark_days.add(d)
    placed: dict = {key: [] for key in lanes}
    for block in blocks:
        lane = lanes[block.team_id]
        if view == "week":
            lane.days.setdefault(block.starts_local.date(), []).append(block)
            continue
        spot = _place(_column(block.starts_local, day), _column(block.ends_local, day))
        if spot is None:
            spot = (0, 1) if _column(block.starts_local, day) < 0 else (COLUMNS - 1, 1)
        placed[block.team_id].append((block, *spot))
    for key, lane in lanes.items():
        lane.blocks, lane.rows = _stack(placed[key])
    ordered = sorted(lanes.values(), key=lambda ln: (ln.team_id is None, ln.name.lower()))
    return {
        "lanes": ordered,
        "blocks": blocks,
        "days": [day + timedelta(days=i) for i in range(days)],
        "hours": list(range(FIRST_HOUR, LAST_HOUR)),
        "slots": [
            (
                i,
                f"{day.isoformat()}T"
                + (datetime.combine(day, time(FIRST_HOUR)) + timedelta(minutes=30 * i)).strftime(
                    "%H:%M"
                ),
            )
            for i in range(COLUMNS)
        ],
        "teams": teams,
    }


def _page(day: date, view: str, status=200, problem=None, errors=None, values=None):
    g.console_section = "console.schedule"
    step = 7 if view == "week" else 1
    zone = tenant_zone()
    return render_page(
        "console/schedule.html",
        status=status,
        day=day,
        view=view,
        prev_day=day - timedelta(days=step),
        next_day=day + timedelta(days=step),
        today=overview.local_today(zone),
        problem=problem,
        errors=errors or {},
        values=values or {},
        moved=request.args.get("moved", "")[:19],
        week_cell=week_cell,
        **board(day, view, zone),
    )


@blp.get("/schedule")
@console_page("view")
def schedule():
    day, view, problem = _parse(
        request.args.get("day", "")[:10], request.args.get("view", "day")[:8]
    )
    return _page(day, view, 400 if problem else 200, problem)


@blp.post("/schedule/move")
@console_page("dispatch")
def schedule_move():
    day, view, _ = _parse(forms.text("day")[:10], forms.text("view")[:8] or "day")
    booking = forms.number(forms.text("booking_id"))
    values = {k: forms.text(k) for k in ("booking_id", "date", "time", "team_id")}
    starts = forms.text("starts_at").strip()
    if starts and "T" in starts:  # a drop: the slot's local start
        values["date"], values["time"] = starts.split("T", 1)
    if not isinstance(booking, int):
        return _page(day, view, 422, None, {"booking_id": "Choose a booking."}, values)
    try:
        move_from_form(booking, values)
    except AppError as exc:
        if exc.status == 404:
            return _page(day, view, 404, exc.detail, {}, values)
        errors, summary = forms.field_errors(exc, ("starts_at", "team_id"))
        if "starts_at" in errors:
            errors["time"] = errors.pop("starts_at")
        return _page(day, view, exc.status, summary, errors, values)
    return redirect(url_for("console.schedule", day=day.isoformat(), view=view, moved=booking), 303)
