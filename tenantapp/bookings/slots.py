"""The slot engine (pure): 30-minute candidates in tenant time, buffers, suggestions.

Inputs are already loaded (windows and busy intervals as aware datetimes); nothing here touches the
database, so the rules are tested directly at their boundaries.
"""

from __future__ import annotations

import contextlib
from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from itertools import accumulate
from zoneinfo import ZoneInfo

from shared.timezones import NonexistentLocalTime, localize

STEP = timedelta(minutes=30)
BOOKING_BUFFER = timedelta(minutes=30)
MIN_LEAD_TIME = timedelta(hours=2)
MAX_SUGGESTIONS = 3


@dataclass
class TeamDay:
    """One team's day: its working window (local times) and busy intervals (aware)."""

    team_id: int
    window: tuple[time, time] | None
    bookings: list[tuple[datetime, datetime]] = field(default_factory=list)
    blackouts: list[tuple[datetime, datetime]] = field(default_factory=list)

    def busy(self) -> list[tuple[datetime, datetime]]:
        widened = [(s - BOOKING_BUFFER, e + BOOKING_BUFFER) for s, e in self.bookings]
        return widened + list(self.blackouts)


@lru_cache(maxsize=4096)
def window_bounds(
    day: date, window: tuple[time, time], zone: ZoneInfo
) -> tuple[datetime, datetime]:
    """The aware bounds of a local working window on ``day`` (immutable, so cached)."""
    start = localize(datetime.combine(day, window[0]), zone)
    end = localize(datetime.combine(day, window[1]), zone)
    return start, end


@lru_cache(maxsize=4096)
def _candidates(day: date, window: tuple[time, time], zone: ZoneInfo) -> tuple[datetime, ...]:
    out = []
    wall = datetime.combine(day, window[0])
    last = datetime.combine(day, window[1])
    while wall < last:
        with contextlib.suppress(NonexistentLocalTime):
            out.append(localize(wall, zone))
        wall += STEP
    return tuple(out)


def candidates(day: date, window: tuple[time, time], zone: ZoneInfo) -> list[datetime]:
    """Every 30 minutes of wall-clock time from the window start; skipped local times are left out."""
    return list(_candidates(day, window, zone))


def is_free(team: TeamDay, start: datetime, minutes: int, day: date, zone: ZoneInfo) -> bool:
    """Does a job of ``minutes`` starting at ``start`` fit this team's window and calendar?"""
    if team.window is None:
        return False
    window_start, window_end = window_bounds(day, team.window, zone)
    end = start + timedelta(minutes=minutes)
    if start < window_start or end > window_end:
        return False
    return all(not (start < busy_end and end > busy_start) for busy_start, busy_end in team.busy())


class _FreeCheck:
    """``is_free`` for one team with its window and busy intervals prepared once per request:
    busy starts sorted with the running maximum of their ends, so one bisect answers a start."""

    __slots__ = ("team_id", "start", "end", "starts", "max_ends")

    def __init__(self, team: TeamDay, day: date, zone: ZoneInfo):
        self.team_id = team.team_id
        self.start, self.end = window_bounds(day, team.window, zone)
        busy = sorted(team.busy())
        self.starts = [s for s, _ in busy]
        self.max_ends = list(accumulate((e for _, e in busy), max))

    def fits(self, start: datetime, end: datetime) -> bool:
        if start < self.start or end > self.end:
            return False
        # the intervals starting before ``end``; one of them overlaps iff its end is after ``start``
        n = bisect_left(self.starts, end)
        return n == 0 or self.max_ends[n - 1] <= start


def stable_until(day: date, teams: list[TeamDay], zone: ZoneInfo, now: datetime) -> datetime:
    """Until when ``suggest``'s answer at ``now`` can change by the clock alone.

    Only the lead time depends on the clock: the answer holds while the first candidate start
    still offered at ``now`` stays offered, i.e. up to that start minus the lead time.
    """
    earliest = now + MIN_LEAD_TIME
    offered = [
        c for t in teams if t.window for c in _candidates(day, t.window, zone) if c >= earliest
    ]
    return min(offered) - MIN_LEAD_TIME if offered else datetime.max.replace(tzinfo=now.tzinfo)


@dataclass
class Suggestion:
    starts_at: datetime
    ends_at: datetime
    team_id: int


def suggest(
    day: date,
    teams: list[TeamDay],
    minutes: int,
    zone: ZoneInfo,
    now: datetime,
    window_hours: tuple[int, int] | None = None,
) -> tuple[list[Suggestion], str | None]:
    """Up to three suggestions (earliest first) and a clarifier when the ask cannot be met."""
    earliest = now + MIN_LEAD_TIME
    length = timedelta(minutes=minutes)
    checks = [_FreeCheck(t, day, zone) for t in sorted(teams, key=lambda t: t.team_id) if t.window]
    starts = sorted({c for t in teams if t.window for c in _candidates(day, t.window, zone)})
    free: list[Suggestion] = []
    for start in starts:
        if start < earliest:
            continue
        end = start + length
        team_id = next((c.team_id for c in checks if c.fits(start, end)), None)
        if team_id is not None:
            free.append(Suggestion(start, end, team_id))
    if window_hours is None:
        picked = free[:MAX_SUGGESTIONS]
        clarifier = None if picked else f"No free times on {day.isoformat()}; try another day."
        return picked, clarifier
    lo, hi = window_hours
    inside = [s for s in free if lo <= s.starts_at.astimezone(zone).hour < hi]
    if len(inside) >= 2:
        return inside[:MAX_SUGGESTIONS], None
    outside = [s for s in free if s not in inside]
    picked = (inside + outside)[:MAX_SUGGESTIONS]
    if not picked:
        return [], f"No free times on {day.isoformat()}; try another day."
    fit = "No time fits" if not inside else "Only one time fits"
    return picked, (
        f"{fit} between {lo:02d}:00 and {hi:02d}:00 on {day.isoformat()}; "
        "other times that day are included."
    )
