"""The slot engine at each boundary of SPEC §5.4."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from tenantapp.bookings.slots import TeamDay, candidates, suggest
from tenantapp.pricing.estimator import duration_minutes

ZONE = ZoneInfo("America/Edmonton")
DAY = date(2026, 12, 7)  # a Monday
WINDOW = (time(9), time(18))


def local(h, m=0, day=DAY):
    return datetime(day.year, day.month, day.day, h, m, tzinfo=ZONE)


EARLY = local(0) - timedelta(days=1)  # "now" well before the day


@pytest.mark.parametrize(
    ("hours", "service", "minutes"),
    [
        ("0.5", "standard", 60),
        ("1.0", "standard", 60),
        ("1.01", "standard", 90),
        ("3.0", "standard", 180),
        ("3.01", "standard", 210),
        ("4.5", "standard", 270),
        ("4.51", "standard", 270),
        ("1.0", "deep", 90),
        ("6.0", "deep", 360),
        ("6.5", "deep", 360),
        ("2.0", "move_out", 150),
        ("2.5", "move_out", 150),
        ("2.51", "move_out", 180),
        ("7.0", "move_in", 420),
        ("9.0", "move_out", 420),
    ],
)
def test_duration_rounds_up_to_30_and_clamps_by_service(hours, service, minutes):
    assert duration_minutes(hours, service) == minutes


def starts(result):
    return [s.starts_at for s in result[0]]


def test_slot_fits_when_it_ends_exactly_at_window_end():
    team = TeamDay(1, WINDOW, blackouts=[(local(9), local(16))])
    assert starts(suggest(DAY, [team], 120, ZONE, EARLY)) == [local(16)]
    team = TeamDay(1, WINDOW, blackouts=[(local(9), local(16, 30))])
    picked, clarifier = suggest(DAY, [team], 120, ZONE, EARLY)
    assert picked == [] and "No free times" in clarifier


def test_bookings_are_widened_by_30_minutes_on_both_sides():
    team = TeamDay(
        1,
        WINDOW,
        bookings=[(local(12), local(14))],
        blackouts=[(local(9), local(10, 30)), (local(15, 30), local(18))],
    )
    # 10:30–11:30 ends exactly at the buffer; 11:00 would overlap it; 14:30 starts at its end.
    assert starts(suggest(DAY, [team], 60, ZONE, EARLY)) == [local(10, 30), local(14, 30)]


def test_blackouts_are_not_widened():
    team = TeamDay(
        1, WINDOW, blackouts=[(local(9), local(11)), (local(12), local(13)), (local(14), local(18))]
    )
    assert starts(suggest(DAY, [team], 60, ZONE, EARLY)) == [local(11), local(13)]


def test_minimum_lead_time_is_two_hours():
    team = TeamDay(1, WINDOW)
    now = local(8)
    assert starts(suggest(DAY, [team], 60, ZONE, now))[0] == local(10)
    now = local(8, 1)
    assert starts(suggest(DAY, [team], 60, ZONE, now))[0] == local(10, 30)


def test_first_free_team_by_id_takes_the_slot():
    busy = TeamDay(1, WINDOW, blackouts=[(local(9), local(18))])
    free = TeamDay(2, WINDOW)
    picked, _ = suggest(DAY, [free, busy], 60, ZONE, EARLY)
    assert [s.team_id for s in picked] == [2, 2, 2]
    picked, _ = suggest(DAY, [TeamDay(2, WINDOW), TeamDay(1, WINDOW)], 60, ZONE, EARLY)
    assert [s.team_id for s in picked] == [1, 1, 1]


def test_at_most_three_suggestions_earliest_first():
    picked, clarifier = suggest(DAY, [TeamDay(1, WINDOW)], 60, ZONE, EARLY)
    assert [s.starts_at for s in picked] == [local(9), local(9, 30), local(10)]
    assert clarifier is None


def test_window_with_two_fits_has_no_clarifier():
    picked, clarifier = suggest(DAY, [TeamDay(1, WINDOW)], 60, ZONE, EARLY, (13, 14))
    assert [s.starts_at for s in picked] == [local(13), local(13, 30)]
    assert clarifier is None


def test_window_with_one_fit_is_filled_from_the_rest_of_the_day():
    team = TeamDay(1, WINDOW, blackouts=[(local(14), local(15))])
    picked, clarifier = suggest(DAY, [team], 60, ZONE, EARLY, (13, 14))
    assert [s.starts_at for s in picked] == [local(13), local(9), local(9, 30)]
    assert "Only one time fits" in clarifier


def test_window_with_no_fit_says_so_and_offers_other_times():
    team = TeamDay(1, WINDOW, blackouts=[(local(12), local(18))])
    picked, clarifier = suggest(DAY, [team], 60, ZONE, EARLY, (14, 16))
    assert len(picked) == 3 and "No time fits" in clarifier


def test_day_without_working_hours_has_a_clarifier():
    picked, clarifier = suggest(DAY, [TeamDay(1, None)], 60, ZONE, EARLY)
    assert picked == [] and clarifier


def test_spring_forward_skips_the_missing_hour():
    day = date(2026, 3, 8)  # Edmonton: 02:00 jumps to 03:00
    times = [
        c.astimezone(ZONE).strftime("%H:%M") for c in candidates(day, (time(1), time(4)), ZONE)
    ]
    assert times == ["01:00", "01:30", "03:00", "03:30"]


def test_fall_back_offers_each_wall_time_once_and_durations_are_real_minutes():
    day = date(2026, 11, 1)  # Edmonton: 02:00 goes back to 01:00
    cands = candidates(day, (time(0), time(3)), ZONE)
    assert len(cands) == 6
    team = TeamDay(1, (time(0), time(3)))
    picked, _ = suggest(day, [team], 60, ZONE, datetime(2026, 10, 30, tzinfo=ZONE))
    assert all(s.ends_at - s.starts_at == timedelta(minutes=60) for s in picked)
