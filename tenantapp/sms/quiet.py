"""Quiet hours for automated texts (SPEC §5.12): none between ``sms_quiet_start`` and
``sms_quiet_end`` tenant-local (21:00–08:00 by default); due rows wait until the end.

Local wall-clock time is the truth: across a DST change the quiet night is still 21:00–08:00 on
the clock, and the release instant is 08:00 local of the right day (a zone's 08:00 always
exists: transitions happen at night, and a gap would move it later by the gap).
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo


def parse_hhmm(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def in_quiet_hours(now: datetime, zone: ZoneInfo, start: str, end: str) -> bool:
    """Is ``now`` inside the quiet window [start, end) of local time?"""
    local = now.astimezone(zone).time().replace(second=0, microsecond=0)
    begin, finish = parse_hhmm(start), parse_hhmm(end)
    if begin == finish:
        return False
    if begin < finish:
        return begin <= local < finish
    return local >= begin or local < finish


def quiet_until(now: datetime, zone: ZoneInfo, start: str, end: str) -> datetime | None:
    """When the quiet window containing ``now`` ends (UTC), or None when ``now`` is not quiet."""
    if not in_quiet_hours(now, zone, start, end):
        return None
    local = now.astimezone(zone)
    finish = parse_hhmm(end)
    day = local.date()
    if local.time() >= finish:
        day += timedelta(days=1)
    release = datetime.combine(day, finish, tzinfo=zone)
    # Round-trip through UTC so a time inside a spring-forward gap moves later by the gap.
    release = release.astimezone(UTC).astimezone(zone).astimezone(UTC)
    return release
