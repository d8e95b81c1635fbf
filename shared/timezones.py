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
