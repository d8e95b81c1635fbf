"""The calendar: teams, working hours and blackouts (bookings subtract from it elsewhere)."""

from __future__ import annotations

import time as clock
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy import (
    BigInteger,
    DateTime,
    String,
    Time,
    bindparam,
    cast,
    delete,
    literal,
    null,
    select,
)

from shared import db
from shared.aftercommit import on_commit
from shared.errors import NotFound, ValidationFailed, field_error
from shared.runtime import current_runtime
from shared.tenancy import current_tenant
from tenantapp.audit.service import record
from tenantapp.scheduling.models import Blackout, WorkingHours
from tenantapp.settings.models import TenantSettings
from tenantapp.teams.models import Team


# ------------------------------------------------------------------ teams
def list_teams() -> list[Team]:
    """Teams, oldest first."""
    return list(db.session().scalars(select(Team).order_by(Team.id)))


def replace_teams(items: list[dict]) -> list[Team]:
    """PUT semantics: listed teams are created or updated; unlisted ones are deactivated."""
    names = [i["name"].strip() for i in items]
    if len(set(n.lower() for n in names)) != len(names):
        raise field_error("teams", "team names must be unique")
    if not any(i.get("active", True) for i in items):
        raise field_error("teams", "at least one team must stay active")
    with db.transaction() as tx:
        calendar_changed(tx)
        existing = {t.id: t for t in tx.scalars(select(Team).with_for_update())}
        unknown = [i["id"] for i in items if i.get("id") is not None and i["id"] not in existing]
        if unknown:
            raise ValidationFailed(
                [{"field": "teams", "message": f"unknown team id {u}"} for u in unknown]
            )
        listed = {i["id"] for i in items if i.get("id") is not None}
        kept = {t.name.lower(): t.id for t in existing.values() if t.id not in listed}
        for name in names:
            if name.lower() in kept:
                # Unlisted teams are only deactivated, so they keep their (unique) names.
                raise field_error(
                    "teams",
                    f"team name {name!r} is used by team {kept[name.lower()]}; list it by id",
                )
        for team in existing.values():
            if team.id not in listed and team.active:
                team.active = False
                record(tx, "team.deactivate", "team", team.id, {"active": True}, {"active": False})
        tx.flush()
        for item in items:
            active = item.get("active", True)
            if item.get("id") is None:
                team = Team(name=item["name"].strip(), active=active)
                tx.add(team)
                tx.flush()
                record(tx, "team.create", "team", team.id, None, {"name": team.name})
            else:
                team = existing[item["id"]]
                before = {"name": team.name, "active": team.active}
                team.name, team.active = item["name"].strip(), active
                after = {"name": team.name, "active": team.active}
                if before != after:
                    record(tx, "team.update", "team", team.id, before, after)
    return list_teams()


def _team(team_id: int) -> Team:
    team = db.session().get(Team, team_id)
    if team is None:
        raise NotFound("No such team.")
    return team


# ------------------------------------------------------------------ working hours
def working_hours(team_id: int) -> list[WorkingHours]:
    """The team's working window per weekday (404 for an unknown team)."""
    _team(team_id)
    return list(
        db.session().scalars(
            select(WorkingHours)
            .where(WorkingHours.team_id == team_id)
            .order_by(WorkingHours.day_of_week)
        )
    )


def replace_working_hours(team_id: int, items: list[dict]) -> list[WorkingHours]:
    """Replace the team's working hours (every problem reported at once); audited."""
    errors = []
    days = [i["day_of_week"] for i in items]
    if len(set(days)) != len(days):
        errors.append({"field": "day_of_week", "message": "each weekday may appear once"})
    for n, item in enumerate(items):
        if item["start"] >= item["end"]:
            errors.append({"field": f"{n}.end", "message": "end must be after start"})
    if errors:
        raise ValidationFailed(errors)
    _team(team_id)
    with db.transaction() as tx:
        calendar_changed(tx)
        before = [
            (w.day_of_week, w.start_time.isoformat("minutes"), w.end_time.isoformat("minutes"))
            for w in tx.scalars(select(WorkingHours).where(WorkingHours.team_id == team_id))
        ]
        tx.execute(delete(WorkingHours).where(WorkingHours.team_id == team_id))
        for item in items:
            tx.add(
                WorkingHours(
                    team_id=team_id,
                    day_of_week=item["day_of_week"],
                    start_time=item["start"],
                    end_time=item["end"],
                )
            )
        after = [
            (i["day_of_week"], i["start"].isoformat("minutes"), i["end"].isoformat("minutes"))
            for i in items
        ]
        record(
            tx,
            "working_hours.replace",
            "team",
            team_id,
            {"hours": sorted(before)},
            {"hours": sorted(after)},
        )
    return working_hours(team_id)


# ------------------------------------------------------------------ blackouts
def list_blackouts(start: datetime | None, end: datetime | None) -> list[Blackout]:
    """Blackouts overlapping [start, end)."""
    stmt = select(Blackout).order_by(Blackout.starts_at, Blackout.id)
    if start is not None:
        stmt = stmt.where(Blackout.ends_at > start)
    if end is not None:
        stmt = stmt.where(Blackout.starts_at < end)
    return list(db.session().scalars(stmt))


def create_blackout(data: dict) -> Blackout:
    """Block one team (or all, without ``team_id``) for a period; audited."""
    if data["starts_at"] >= data["ends_at"]:
        raise field_error("ends_at", "ends_at must be after starts_at")
    if data.get("team_id") is not None:
        _team(data["team_id"])
    with db.transaction() as tx:
        calendar_changed(tx)
        row = Blackout(**data)
        tx.add(row)
        tx.flush()
        record(
            tx,
            "blackout.create",
            "blackout",
            row.id,
            None,
            {"team_id": row.team_id, "starts_at": row.starts_at, "ends_at": row.ends_at},
        )
    return row


def delete_blackout(blackout_id: int) -> None:
    """Remove a blackout (404 if unknown); audited."""
    with db.transaction() as tx:
        calendar_changed(tx)
        row = tx.get(Blackout, blackout_id)
        if row is None:
            raise NotFound("No such blackout.")
        record(
            tx,
            "blackout.delete",
            "blackout",
            row.id,
            {"starts_at": row.starts_at, "ends_at": row.ends_at},
            None,
        )
        tx.delete(row)


# ------------------------------------------------------------------ the calendar of a day
@dataclass(frozen=True)
class TeamCalendar:
    """One active team's day as the calendar has it: working window (local) and blackouts."""

    team_id: int
    name: str
    window: tuple[time, time] | None
    blackouts: list[tuple[datetime, datetime]] = field(default_factory=list)


def day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC bounds of a tenant-local day."""
    start = datetime.combine(day, datetime.min.time()).replace(tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), datetime.min.time()).replace(tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


# One round trip: the calendar's reads are UNION ALL parts of one row shape (kind, team_id, two
# local times, two instants, a text); ``tenantapp.bookings.availability`` adds its bookings part to
# the same statement. Rows are plain tuples (no ORM objects) and the instants are read over a
# range wide enough for any zone, then cut exactly once the tenant's zone is known.
ZONE_MARGIN = timedelta(days=1)  # > the widest UTC offset (±14 h), so no zone falls outside


def calendar_row(kind: str, team_id=None, t0=None, t1=None, s=None, e=None, text=None) -> list:
    """Columns of one UNION ALL part in the calendar row shape (missing ones are typed NULLs)."""
    return [
        literal(kind, String).label("kind"),
        cast(team_id if team_id is not None else null(), BigInteger).label("team_id"),
        cast(t0 if t0 is not None else null(), Time).label("t0"),
        cast(t1 if t1 is not None else null(), Time).label("t1"),
        cast(s if s is not None else null(), DateTime(timezone=True)).label("s"),
        cast(e if e is not None else null(), DateTime(timezone=True)).label("e"),
        cast(text if text is not None else null(), String).label("text"),
    ]


def utc_margin_bounds(day: date) -> tuple[datetime, datetime]:
    """UTC bounds that contain ``day``'s local bounds in every zone."""
    start = datetime.combine(day, time(0), tzinfo=UTC) - ZONE_MARGIN
    return start, start + timedelta(days=1) + 2 * ZONE_MARGIN


def calendar_params(day: date) -> dict:
    """Bind values for ``calendar_parts``."""
    lo, hi = utc_margin_bounds(day)
    return {"cal_dow": day.weekday(), "cal_lo": lo, "cal_hi": hi}


@lru_cache(maxsize=1)
def calendar_parts() -> tuple:
    """The calendar's reads (settings zone, active teams, a weekday's hours, blackouts), built once:
    the day comes in as bind values (``calendar_params``), the schema at execution."""
    ts, tm, wh, bo = (
        TenantSettings.__table__,
        Team.__table__,
        WorkingHours.__table__,
        Blackout.__table__,
    )
    return (
        select(*calendar_row("zone", text=ts.c.time_zone)).where(ts.c.id == 1),
        select(*calendar_row("team", team_id=tm.c.id, text=tm.c.name)).where(tm.c.active),
        select(
            *calendar_row("hours", team_id=wh.c.team_id, t0=wh.c.start_time, t1=wh.c.end_time)
        ).where(wh.c.day_of_week == bindparam("cal_dow")),
        select(
            *calendar_row("blackout", team_id=bo.c.team_id, s=bo.c.starts_at, e=bo.c.ends_at)
        ).where(bo.c.ends_at > bindparam("cal_lo"), bo.c.starts_at < bindparam("cal_hi")),
    )


def calendar_from_rows(day: date, rows) -> tuple[ZoneInfo, list[TeamCalendar]]:
    """The tenant zone and every active team's day (by team id) from the calendar rows."""
    zone_name, names, hours, blackouts = None, {}, {}, []
    for kind, team_id, t0, t1, s, e, text in rows:
        if kind == "zone":
            zone_name = text
        elif kind == "team":
            names[team_id] = text
        elif kind == "hours":
            hours[team_id] = (t0, t1)
        elif kind == "blackout":
            blackouts.append((team_id, s, e))
    zone = ZoneInfo(zone_name)
    start, end = day_bounds(day, zone)
    blackouts = sorted(
        (b for b in blackouts if b[2] > start and b[1] < end), key=lambda b: (b[1], b[2])
    )
    return zone, [
        TeamCalendar(
            team_id=team_id,
            name=names[team_id],
            window=hours.get(team_id),
            blackouts=[(s, e) for t, s, e in blackouts if t in (None, team_id)],
        )
        for team_id in sorted(names)
    ]


# The calendar of a day per tenant, cached in-process under the tenant's directory version (read
# from Redis once per request anyway) for the public slot finder: every calendar write here (and a
# settings change) bumps that version after committing, so every process reloads on its next
# request; the TTL bounds staleness should the Redis counter ever be lost. Taking a slot never
# uses it: it re-reads the calendar under the day lock.
CALENDAR_CACHE_SECONDS = 60.0
_calendars: dict[tuple, tuple[float, ZoneInfo, list[TeamCalendar]]] = {}


def calendar_changed(tx) -> None:
    """Teams, hours or blackouts change in ``tx``: once it commits, every cached calendar goes."""
    tenant_id = current_tenant().id
    on_commit(lambda: current_runtime().tenants.bump(tenant_id), tx)


def cached_calendar(day: date) -> tuple[ZoneInfo, list[TeamCalendar]] | None:
    """The cached zone and calendar of ``day`` for the current tenant version, or None."""
    tenant = current_tenant()
    hit = _calendars.get((tenant.id, tenant.version, day))
    if hit is not None and hit[0] > clock.monotonic():
        return hit[1], hit[2]
    return None


def remember_calendar(day: date, zone: ZoneInfo, calendar: list[TeamCalendar]) -> None:
    """Cache what was just read for ``day`` under the current tenant version."""
    tenant = current_tenant()
    if len(_calendars) >= 10000:
        _calendars.clear()
    _calendars[(tenant.id, tenant.version, day)] = (
        clock.monotonic() + CALENDAR_CACHE_SECONDS,
        zone,
        calendar,
    )
