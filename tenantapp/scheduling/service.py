"""The calendar: teams, working hours and blackouts (bookings subtract from it elsewhere)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, or_, select

from shared import db
from shared.errors import NotFound, ValidationFailed, field_error
from tenantapp.audit.service import record
from tenantapp.scheduling.models import Blackout, WorkingHours
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


def calendar_day(day: date, zone: ZoneInfo) -> list[TeamCalendar]:
    """Every active team's working window and blackouts for ``day`` (tenant-local), by team id.

    Bookings are not the calendar's business: ``tenantapp.bookings.availability`` subtracts them.
    """
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
    return [
        TeamCalendar(
            team_id=t.id,
            name=t.name,
            window=hours.get(t.id),
            blackouts=[(b.starts_at, b.ends_at) for b in blackouts if b.team_id in (None, t.id)],
        )
        for t in teams
    ]
