"""The recurrence engine at its boundaries (SPEC §5.10), checked against an independent calendar."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tenantapp.plans.rules import (
    MAX_PREVIEW_DAYS,
    TIME_SHIFTED,
    PlanRule,
    check_preview_range,
    monthly_ordinal,
    place,
    rrule_text,
)

EDMONTON = ZoneInfo("America/Edmonton")
ZONES = ["America/Edmonton", "America/St_Johns", "Australia/Lord_Howe", "Europe/London"]


def rule(freq, first, hhmm="09:00", zone=EDMONTON, ends_on=None, minutes=180):
    return PlanRule.new(freq, first, time.fromisoformat(hhmm), zone, minutes, ends_on)


# ---------------------------------------------------------------- the RRULE text
def test_rrule_text_weekly_biweekly_monthly():
    tue = date(2027, 1, 12)  # 2nd Tuesday
    assert rrule_text("weekly", tue, time(9)) == (
        "DTSTART:20270112T090000\nRRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=TU"
    )
    assert rrule_text("biweekly", tue, time(9)).endswith("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU")
    assert rrule_text("monthly", tue, time(9)).endswith("FREQ=MONTHLY;BYDAY=2TU")


@pytest.mark.parametrize(
    ("day", "ordinal"),
    [(1, 1), (7, 1), (8, 2), (14, 2), (15, 3), (21, 3), (22, 4), (28, 4), (29, -1), (31, -1)],
)
def test_monthly_ordinal_boundaries(day, ordinal):
    assert monthly_ordinal(date(2027, 3, day)) == ordinal


def test_unknown_frequency_is_refused():
    with pytest.raises(ValueError):
        rrule_text("daily", date(2027, 1, 1), time(9))


# ---------------------------------------------------------------- dates
def test_weekly_steps_seven_local_days():
    first = date(2027, 1, 5)
    got = rule("weekly", first).dates(first, first + timedelta(days=29))
    assert got == [first + timedelta(days=7 * i) for i in range(5)]


def test_biweekly_steps_fourteen_days():
    first = date(2027, 1, 5)
    got = rule("biweekly", first).dates(first, date(2027, 3, 1))
    assert got == [date(2027, 1, 5), date(2027, 1, 19), date(2027, 2, 2), date(2027, 2, 16)]


def test_monthly_second_tuesday():
    got = rule("monthly", date(2027, 1, 12)).dates(date(2027, 1, 1), date(2027, 5, 1))
    assert got == [date(2027, 1, 12), date(2027, 2, 9), date(2027, 3, 9), date(2027, 4, 13)]


def test_monthly_day_29_to_31_means_last_weekday():
    # 2027-03-30 is the 5th Tuesday of March: "last Tuesday"; April has only 4 Tuesdays
    got = rule("monthly", date(2027, 3, 30)).dates(date(2027, 3, 1), date(2027, 7, 1))
    assert got == [date(2027, 3, 30), date(2027, 4, 27), date(2027, 5, 25), date(2027, 6, 29)]


def test_monthly_day_22_to_28_stays_fourth():
    # 2027-06-22 is the 4th Tuesday; June 29 is the 5th, never used
    got = rule("monthly", date(2027, 6, 22)).dates(date(2027, 6, 1), date(2027, 9, 1))
    assert got == [date(2027, 6, 22), date(2027, 7, 27), date(2027, 8, 24)]


def test_ends_on_is_inclusive():
    first = date(2027, 1, 5)
    r = rule("weekly", first, ends_on=date(2027, 1, 19))
    assert r.dates(first, date(2027, 6, 1))[-1] == date(2027, 1, 19)
    r = rule("weekly", first, ends_on=date(2027, 1, 18))
    assert r.dates(first, date(2027, 6, 1))[-1] == date(2027, 1, 12)


def test_range_is_from_inclusive_to_exclusive():
    first = date(2027, 1, 5)
    r = rule("weekly", first)
    assert r.dates(date(2027, 1, 12), date(2027, 1, 19)) == [date(2027, 1, 12)]
    assert r.dates(date(2027, 1, 13), date(2027, 1, 19)) == []
    assert r.dates(date(2026, 12, 1), date(2027, 1, 6)) == [first]  # nothing before first_date


# ---------------------------------------------------------------- local time and DST
def test_edmonton_nine_is_16z_in_january_and_15z_in_april():
    r = rule("weekly", date(2027, 1, 5))
    jan = r.occurrence(date(2027, 1, 5))
    apr = r.occurrence(date(2027, 4, 6))
    assert jan.starts_at == datetime(2027, 1, 5, 16, tzinfo=UTC)
    assert apr.starts_at == datetime(2027, 4, 6, 15, tzinfo=UTC)
    assert jan.flags == apr.flags == ()


def test_spring_forward_gap_moves_later_by_the_gap_and_is_flagged():
    # 2027-03-14 02:00 → 03:00 in Edmonton; a Sunday 02:30 plan
    r = rule("weekly", date(2027, 3, 7), "02:30")
    before, gap_day, after = r.occurrences(date(2027, 3, 7), date(2027, 3, 22))
    assert gap_day.date == date(2027, 3, 14)
    assert gap_day.local_start(EDMONTON).time() == time(3, 30)
    assert gap_day.flags == (TIME_SHIFTED,)
    assert before.local_start(EDMONTON).time() == after.local_start(EDMONTON).time() == time(2, 30)
    assert before.flags == after.flags == ()


def test_lord_howe_thirty_minute_gap():
    zone = ZoneInfo("Australia/Lord_Howe")  # 2027-10-03 02:00 → 02:30
    starts_at, shifted = place(date(2027, 10, 3), time(2, 15), zone)
    assert shifted
    assert starts_at.astimezone(zone).time() == time(2, 45)
    starts_at, shifted = place(date(2027, 10, 3), time(2, 30), zone)
    assert not shifted and starts_at.astimezone(zone).time() == time(2, 30)


def test_ambiguous_time_takes_first_occurrence():
    # 2027-11-07 01:30 happens twice in Edmonton (MDT then MST): the first is 07:30Z
    starts_at, shifted = place(date(2027, 11, 7), time(1, 30), EDMONTON)
    assert not shifted
    assert starts_at == datetime(2027, 11, 7, 7, 30, tzinfo=UTC)


def test_gap_edges_in_edmonton():
    day = date(2027, 3, 14)
    assert place(day, time(1, 59), EDMONTON) == (datetime(2027, 3, 14, 8, 59, tzinfo=UTC), False)
    assert place(day, time(2, 0), EDMONTON) == (datetime(2027, 3, 14, 9, 0, tzinfo=UTC), True)
    assert place(day, time(3, 0), EDMONTON) == (datetime(2027, 3, 14, 9, 0, tzinfo=UTC), False)


# ---------------------------------------------------------------- changes
def test_change_frequency_from_a_date_keeps_earlier_dates():
    first = date(2027, 1, 5)
    r = rule("weekly", first).with_change(date(2027, 1, 20), "biweekly", None)
    assert r.dates(first, date(2027, 3, 1)) == [
        date(2027, 1, 5),
        date(2027, 1, 12),
        date(2027, 1, 19),
        date(2027, 1, 26),  # the anchor: the first old date on or after effective_from
        date(2027, 2, 9),
        date(2027, 2, 23),
    ]


def test_change_start_time_keeps_dates_and_moves_time():
    first = date(2027, 1, 5)
    r = rule("weekly", first).with_change(date(2027, 1, 12), None, time(13))
    occ = r.occurrences(first, date(2027, 1, 20))
    assert [o.local_start(EDMONTON).time() for o in occ] == [time(9), time(13), time(13)]
    assert r.belongs(date(2027, 1, 12)) and not r.belongs(date(2027, 1, 13))


def test_no_change_returns_the_same_rule():
    r = rule("weekly", date(2027, 1, 5))
    assert r.with_change(date(2027, 2, 1), "weekly", time(9)) is r


def test_preview_range_limit():
    start = date(2027, 1, 1)
    assert check_preview_range(start, start + timedelta(days=MAX_PREVIEW_DAYS)) is None
    assert check_preview_range(start, start + timedelta(days=MAX_PREVIEW_DAYS + 1))
    assert check_preview_range(start, start)


# ---------------------------------------------------------------- property-based
def _independent_dates(freq: str, first: date, end: date) -> list[date]:
    """The same rule from the standard library's calendar, without dateutil."""
    if freq in ("weekly", "biweekly"):
        step = 7 if freq == "weekly" else 14
        return [first + timedelta(days=i) for i in range(0, (end - first).days, step)]
    wd = first.weekday()
    n = -1 if first.day >= 29 else (first.day - 1) // 7 + 1
    out = []
    y, m = first.year, first.month
    while date(y, m, 1) < end:
        days = [d for d in calendar.Calendar().itermonthdates(y, m) if d.month == m]
        same = [d for d in days if d.weekday() == wd]
        d = same[-1] if n == -1 else same[n - 1]
        if first <= d < end:
            out.append(d)
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


@settings(max_examples=300, deadline=None)
@given(
    first=st.dates(min_value=date(2026, 1, 1), max_value=date(2030, 12, 31)),
    freq=st.sampled_from(["weekly", "biweekly", "monthly"]),
    zone=st.sampled_from(ZONES),
    minutes=st.integers(min_value=0, max_value=24 * 60 - 1),
)
def test_every_visit_starts_at_its_local_time(first, freq, zone, minutes):
    tz = ZoneInfo(zone)
    start_time = time(minutes // 60, minutes % 60)
    r = PlanRule.new(freq, first, start_time, tz, 120)
    end = first + timedelta(days=MAX_PREVIEW_DAYS)
    occ = r.occurrences(first, end)
    assert [o.date for o in occ] == _independent_dates(freq, first, end)
    assert len({o.date for o in occ}) == len(occ)  # no date twice
    for o in occ:
        local = o.starts_at.astimezone(tz)
        assert local.date() == o.date
        wall = datetime.combine(o.date, start_time)
        if TIME_SHIFTED in o.flags:
            # moved later by exactly the gap: the offset jump of that instant
            gap = local.utcoffset() - (o.starts_at - timedelta(hours=3)).astimezone(tz).utcoffset()
            assert local.replace(tzinfo=None) - wall == gap > timedelta(0)
        else:
            assert local.replace(tzinfo=None) == wall
            # an ambiguous local time takes its first occurrence
            assert local.fold == 0
