"""Teams, working hours, blackouts, and the slot/schedule queries built on the slot engine."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, or_, select

from shared import db
from shared.errors import NotFound, ValidationFailed, field_error
from tenantapp.audit.service import record
from tenantapp.scheduling import slots
from tenantapp.scheduling.models import Blackout, WorkingHours
from tenantapp.settings.models import TenantSettings
from tenantapp.teams.models import Team


def tenant_zone() -> ZoneInfo:
    return ZoneInfo(db.session().get(TenantSettings, 1).time_zone)


# ------------------------------------------------------------------ teams
def list_teams() -> list[Team]:
    return list(db.session().scalars(select(Team).order_by(Team.id)))


def replace_teams(items: list[dict]) -> list[Team]:
    """PUT semantics: listed teams are created or updated; unlisted ones are deactivated."""
    names = [i["name"].strip() for i in items]
    if len(set(n.lower() for n in names)) != len(names):
        raise field_error("teams", "team names must be unique")
    if not any(i.get("active", True) for i in items):
        raise field_error("teams", "at least one team must stay active")
    with db.transaction() as tx:
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
    _team(team_id)
    return list(
        db.session().scalars(
            select(WorkingHours)
            .where(WorkingHours.team_id == team_id)
            .order_by(WorkingHours.day_of_week)
        )
    )


def replace_working_hours(team_id: int, items: list[dict]) -> list[WorkingHours]:
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
    stmt = select(Blackout).order_by(Blackout.starts_at, Blackout.id)
    if start is not None:
        stmt = stmt.where(Blackout.ends_at > start)
    if end is not None:
        stmt = stmt.where(Blackout.starts_at < end)
    return list(db.session().scalars(stmt))


def create_blackout(data: dict) -> Blackout:
    if data["starts_at"] >= data["ends_at"]:
        raise field_error("ends_at", "ends_at must be after starts_at")
    if data.get("team_id") is not None:
        _team(data["team_id"])
    with db.transaction() as tx:
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
    with db.transaction() as tx:
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


# ------------------------------------------------------------------ days, slots, schedule
def day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(day, datetime.min.time()).replace(tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), datetime.min.time()).replace(tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def team_days(day: date, zone: ZoneInfo, exclude: int | None = None) -> list[slots.TeamDay]:
    """Every active team's window and busy intervals for ``day`` (tenant-local)."""
    sess = db.session()
    teams = list(sess.scalars(select(Team).where(Team.active.is_(True)).order_by(Team.id)))
    ids = [t.id for t in teams]
    hours = {
        w.team_id: (w.start_time, w.end_time)
        for w in sess.scalars(
            select(WorkingHours).where(
                WorkingHours.team_id.in_(ids), WorkingHours.day_of_week == day.weekday()
            )
        )
    }
    start, end = day_bounds(day, zone)
    blackouts = list(
        sess.scalars(
            select(Blackout).where(
                Blackout.ends_at > start,
                Blackout.starts_at < end,
                or_(Blackout.team_id.is_(None), Blackout.team_id.in_(ids)),
            )
        )
    )
    from tenantapp.bookings.slots import busy_bookings  # bookings block slots

    # ``exclude``: a booking being moved must not collide with itself
    busy = busy_bookings(ids, start, end, exclude)
    return [
        slots.TeamDay(
            team_id=t.id,
            window=hours.get(t.id),
            bookings=busy.get(t.id, []),
            blackouts=[(b.starts_at, b.ends_at) for b in blackouts if b.team_id in (None, t.id)],
        )
        for t in teams
    ]


def find_slots(day: date, minutes: int, window_hours=None, now: datetime | None = None) -> dict:
    zone = tenant_zone()
    suggestions, clarifier = slots.suggest(
        day, team_days(day, zone), minutes, zone, now or datetime.now(UTC), window_hours
    )
    return {
        "date": day,
        "duration_minutes": minutes,
        "suggestions": [
            {
                "starts_at": s.starts_at,
                "starts_at_local": s.starts_at.astimezone(zone),
                "ends_at": s.ends_at,
                "team_id": s.team_id,
            }
            for s in suggestions
        ],
        "clarifier": clarifier,
    }


def schedule(day: date) -> dict:
    """Per team: window, busy intervals and the free gaps inside the window."""
    zone = tenant_zone()
    names = {t.id: t.name for t in list_teams()}
    out = []
    for td in team_days(day, zone):
        free = []
        window = None
        if td.window:
            ws, we = slots.window_bounds(day, td.window, zone)
            window = {"start": ws, "end": we}
            cursor = ws
            for bs, be in sorted(td.busy()):
                if bs > cursor:
                    free.append({"starts_at": cursor, "ends_at": min(bs, we)})
                cursor = max(cursor, be)
                if cursor >= we:
                    break
            if cursor < we:
                free.append({"starts_at": cursor, "ends_at": we})
        out.append(
            {
                "team_id": td.team_id,
                "name": names[td.team_id],
                "window": window,
                "bookings": [{"starts_at": s, "ends_at": e} for s, e in td.bookings],
                "blackouts": [{"starts_at": s, "ends_at": e} for s, e in td.blackouts],
                "free": [f for f in free if f["starts_at"] < f["ends_at"]],
            }
        )
    return {"day": day, "time_zone": zone.key, "teams": out}
