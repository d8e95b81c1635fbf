"""Time zone helpers shared by both apps."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def time_zone_problem(name: str) -> str | None:
    """Why ``name`` is not an IANA zone, or None."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return "is not a known IANA time zone"
    return None


class NonexistentLocalTime(ValueError):
    """A wall-clock time skipped by a DST change (spring forward)."""


def localize(naive, zone):
    """Attach ``zone`` to a naive wall-clock datetime.

    A time skipped by DST raises ``NonexistentLocalTime``; an ambiguous one (fall back) takes the
    first occurrence (``fold=0``).
    """
    from datetime import UTC

    aware = naive.replace(tzinfo=zone, fold=0)
    if aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != naive.replace(tzinfo=None):
        raise NonexistentLocalTime(f"{naive.isoformat()} does not exist in {zone}")
    return aware


def parse_instant(value: str, zone):
    """RFC 3339 input: any offset is accepted; a naive value is wall-clock time in ``zone``."""
    from datetime import UTC, datetime

    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = localize(parsed, zone)
    return parsed.astimezone(UTC)
