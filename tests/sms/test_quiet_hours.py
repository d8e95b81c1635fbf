"""Quiet hours 21:00–08:00 tenant-local for automated texts, at their boundaries and over DST."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from tenantapp.sms.quiet import in_quiet_hours, quiet_until

ZONE = ZoneInfo("America/Edmonton")


def local(y, m, d, hh, mm):
    return datetime(y, m, d, hh, mm, tzinfo=ZONE)


@pytest.mark.parametrize(
    ("hh", "mm", "quiet"),
    [(20, 59, False), (21, 0, True), (23, 59, True), (0, 0, True), (7, 59, True), (8, 0, False)],
)
def test_boundaries(hh, mm, quiet):
    assert in_quiet_hours(local(2027, 1, 12, hh, mm), ZONE, "21:00", "08:00") is quiet


def test_release_is_the_next_local_0800():
    at = local(2027, 1, 12, 21, 0)
    assert quiet_until(at, ZONE, "21:00", "08:00") == local(2027, 1, 13, 8, 0)
    assert quiet_until(local(2027, 1, 13, 7, 59), ZONE, "21:00", "08:00") == local(
        2027, 1, 13, 8, 0
    )
    assert quiet_until(local(2027, 1, 12, 20, 59), ZONE, "21:00", "08:00") is None


def test_spring_forward_night_releases_at_0800_local_one_hour_earlier_in_utc():
    # 2027-03-14: Edmonton goes from MST (-7) to MDT (-6) at 02:00.
    release = quiet_until(local(2027, 3, 13, 22, 0), ZONE, "21:00", "08:00")
    assert release == datetime(2027, 3, 14, 14, 0, tzinfo=UTC)  # 08:00 MDT
    before = quiet_until(local(2027, 3, 12, 22, 0), ZONE, "21:00", "08:00")
    assert before == datetime(2027, 3, 13, 15, 0, tzinfo=UTC)  # 08:00 MST
    # Inside the night, at 03:30 local (after the jump) it is still quiet.
    assert in_quiet_hours(datetime(2027, 3, 14, 9, 30, tzinfo=UTC), ZONE, "21:00", "08:00")


def test_fall_back_night_still_ends_at_0800_local():
    # 2027-11-07: MDT → MST at 02:00; 01:30 happens twice, both quiet.
    assert in_quiet_hours(datetime(2027, 11, 7, 7, 30, tzinfo=UTC), ZONE, "21:00", "08:00")
    assert in_quiet_hours(datetime(2027, 11, 7, 8, 30, tzinfo=UTC), ZONE, "21:00", "08:00")
    release = quiet_until(local(2027, 11, 6, 23, 0), ZONE, "21:00", "08:00")
    assert release == datetime(2027, 11, 7, 15, 0, tzinfo=UTC)  # 08:00 MST


def test_a_daytime_window_and_an_empty_one():
    assert in_quiet_hours(local(2027, 1, 12, 13, 0), ZONE, "12:00", "14:00")
    assert not in_quiet_hours(local(2027, 1, 12, 14, 0), ZONE, "12:00", "14:00")
    assert not in_quiet_hours(local(2027, 1, 12, 3, 0), ZONE, "00:00", "00:00")
