"""The recurrence engine (pure): RFC 5545 RRULE + DTSTART, stepped in local calendar days.

A plan's visits are the dates an RRULE gives from a floating (zone-less) DTSTART, each placed at
the plan's local ``start_time`` in the plan's IANA zone. Dates are computed on naive local
datetimes by python-dateutil, so a week is 7 calendar days whatever DST does, and only then is
each wall-clock start placed in the zone:

- across DST the local time stays and UTC moves (Edmonton 09:00 is 16:00Z in January, 15:00Z in
  April);
- a local time that does not exist (the spring-forward gap) moves later by the gap (02:30 on a
  60-minute gap day is 03:30; Lord Howe's 30-minute gap: 02:15 → 02:45) and is flagged
  ``time_shifted``;
- an ambiguous local time (fall back) takes its first occurrence.

Rules (SPEC §5.10): weekly = every 7 days on ``first_date``'s weekday; biweekly = every 14;
monthly = the same weekday and ordinal as ``first_date`` (2nd Tuesday); a ``first_date`` on day
29–31 (its weekday's 5th occurrence) means "last <weekday>"; days 22–28 stay "4th".

A plan may change its rule from a date (``PATCH`` with ``effective_from``): its rule is a list of
``Segment``s, each in force from its ``starts_on`` until the next one's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

FREQUENCIES = ("weekly", "biweekly", "monthly")
MAX_PREVIEW_DAYS = 400
TIME_SHIFTED = "time_shifted"
_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def monthly_ordinal(first_date: date) -> int:
    """1..4 for the n-th weekday of the month, -1 for "last" (first_date on day 29–31)."""
    return -1 if first_date.day >= 29 else (first_date.day - 1) // 7 + 1


def rrule_text(frequency: str, first_date: date, start_time: time) -> str:
    """The RFC 5545 text: a floating DTSTART (local wall time) and the RRULE."""
    if frequency not in FREQUENCIES:
        raise ValueError(f"unknown frequency {frequency!r}")
    day = _DAYS[first_date.weekday()]
    if frequency == "monthly":
        rule = f"FREQ=MONTHLY;BYDAY={monthly_ordinal(first_date)}{day}"
    else:
        interval = 2 if frequency == "biweekly" else 1
        rule = f"FREQ=WEEKLY;INTERVAL={interval};BYDAY={day}"
    dtstart = datetime.combine(first_date, start_time).strftime("%Y%m%dT%H%M%S")
    return f"DTSTART:{dtstart}\nRRULE:{rule}"


@lru_cache(maxsize=4096)
def _parsed(text: str):
    return rrulestr(text)


def place(day: date, start_time: time, zone: ZoneInfo) -> tuple[datetime, bool]:
    """The UTC instant of ``start_time`` on ``day`` in ``zone`` and whether it was shifted.

    ``fold=0`` gives the first occurrence of an ambiguous time; for a time in a gap it applies
    the offset in force before the transition (PEP 495), which is the wall time moved later by
    the gap. The round trip tells the two apart.
    """
    wall = datetime.combine(day, start_time)
    aware = wall.replace(tzinfo=zone, fold=0)
    instant = aware.astimezone(UTC)
    shifted = instant.astimezone(zone).replace(tzinfo=None) != wall
    return instant, shifted


@dataclass(frozen=True)
class Segment:
    """One rule in force from ``starts_on`` (inclusive): frequency, anchor date and local start."""

    starts_on: date
    frequency: str
    anchor: date
    start_time: time

    @property
    def rrule(self) -> str:
        return rrule_text(self.frequency, self.anchor, self.start_time)

    def dates(self, start: date, end: date) -> list[date]:
        """The rule's dates in ``[start, end)`` (and not before ``starts_on``)."""
        lo = max(start, self.starts_on, self.anchor)
        if lo >= end:
            return []
        rule = _parsed(self.rrule)
        after = datetime.combine(lo, time.min)
        before = datetime.combine(end, time.min)
        return [d.date() for d in rule.between(after, before, inc=True) if d.date() < end]

    def as_dict(self) -> dict:
        return {
            "starts_on": self.starts_on.isoformat(),
            "frequency": self.frequency,
            "anchor": self.anchor.isoformat(),
            "start_time": self.start_time.strftime("%H:%M"),
        }

    @classmethod
    def from_dict(cls, raw: dict) -> Segment:
        return cls(
            starts_on=date.fromisoformat(raw["starts_on"]),
            frequency=raw["frequency"],
            anchor=date.fromisoformat(raw["anchor"]),
            start_time=time.fromisoformat(raw["start_time"]),
        )


@dataclass(frozen=True)
class Occurrence:
    """One visit the rule gives: its date, UTC start and end, and flags."""

    date: date
    starts_at: datetime
    ends_at: datetime
    flags: tuple[str, ...]

    def local_start(self, zone: ZoneInfo) -> datetime:
        return self.starts_at.astimezone(zone)


@dataclass(frozen=True)
class PlanRule:
    """A plan's whole rule: its segments (oldest first), zone, duration and end."""

    segments: tuple[Segment, ...]
    zone: ZoneInfo
    duration_minutes: int
    ends_on: date | None = None

    @classmethod
    def new(
        cls,
        frequency: str,
        first_date: date,
        start_time: time,
        zone: ZoneInfo,
        duration_minutes: int,
        ends_on: date | None = None,
    ) -> PlanRule:
        segment = Segment(first_date, frequency, first_date, start_time)
        return cls((segment,), zone, duration_minutes, ends_on)

    @property
    def current(self) -> Segment:
        return self.segments[-1]

    def segment_on(self, day: date) -> Segment:
        """The segment in force on ``day`` (the first one for days before it)."""
        found = self.segments[0]
        for seg in self.segments:
            if seg.starts_on <= day:
                found = seg
        return found

    def _stop(self, end: date) -> date:
        if self.ends_on is not None:
            return min(end, self.ends_on + timedelta(days=1))  # ends_on is inclusive
        return end

    def dates(self, start: date, end: date) -> list[date]:
        """Every date the rule gives in ``[start, end)``, each once, in order."""
        end = self._stop(end)
        out: list[date] = []
        for i, seg in enumerate(self.segments):
            upto = self.segments[i + 1].starts_on if i + 1 < len(self.segments) else end
            out.extend(seg.dates(start, min(end, upto)))
        return out

    def belongs(self, day: date) -> bool:
        """Whether the rule gives ``day``."""
        return day in self.dates(day, day + timedelta(days=1))

    def occurrence(self, day: date) -> Occurrence:
        """The visit on ``day`` (assumed to be one of the rule's dates)."""
        starts_at, shifted = place(day, self.segment_on(day).start_time, self.zone)
        ends_at = starts_at + timedelta(minutes=self.duration_minutes)
        return Occurrence(day, starts_at, ends_at, (TIME_SHIFTED,) if shifted else ())

    def occurrences(self, start: date, end: date) -> list[Occurrence]:
        """The visits in ``[start, end)``."""
        return [self.occurrence(d) for d in self.dates(start, end)]

    def with_change(
        self, effective_from: date, frequency: str | None, start_time: time | None
    ) -> PlanRule:
        """The rule after a change from ``effective_from``.

        The weekday stays. The new segment is anchored on the first date the old rule gives on or
        after ``effective_from`` (so weekly → biweekly keeps the next visit and drops every other
        one after it; a monthly ordinal is read from that anchor). Only the start time changing
        keeps the dates and moves the time.
        """
        old = self.segment_on(effective_from)
        frequency = frequency or old.frequency
        start_time = start_time or old.start_time
        if frequency == old.frequency and start_time == old.start_time:
            return self
        nxt = old.dates(effective_from, effective_from + timedelta(days=400))
        anchor = nxt[0] if nxt else effective_from
        if frequency == old.frequency:
            anchor = old.anchor  # same dates, only the time moves
        kept = tuple(s for s in self.segments if s.starts_on < effective_from)
        segment = Segment(effective_from, frequency, anchor, start_time)
        return PlanRule((*kept, segment), self.zone, self.duration_minutes, self.ends_on)


def check_preview_range(start: date, end: date) -> str | None:
    """Why ``[start, end)`` is not a valid preview range (≤ 400 days), or None."""
    if end <= start:
        return "to must be after from"
    if (end - start).days > MAX_PREVIEW_DAYS:
        return f"the range may span at most {MAX_PREVIEW_DAYS} days"
    return None
