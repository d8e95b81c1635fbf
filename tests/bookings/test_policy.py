"""Risk score, deposit decision and cancellation refunds at every SPEC §5.4 boundary."""

from datetime import UTC, datetime, timedelta

import pytest

from tenantapp.bookings.policy import (
    RiskFacts,
    assess_risk,
    cancellation_windows,
    decide_deposit,
    may_reschedule,
    refund_for,
)


def facts(**over):
    base = dict(
        first_time=False,
        total_cents=10_000,
        hours_until_start=100,
        postal_code="T2P 1J9",
        flagged_prefixes=(),
        earlier_cancellations=0,
    )
    base.update(over)
    return RiskFacts(**base)


@pytest.mark.parametrize(
    ("over", "score", "band"),
    [
        ({}, 0, "LOW"),
        ({"first_time": True}, 20, "LOW"),
        ({"total_cents": 29_999}, 0, "LOW"),
        ({"total_cents": 30_000}, 25, "LOW"),
        ({"hours_until_start": 24}, 0, "LOW"),
        ({"hours_until_start": 23.99}, 20, "LOW"),
        ({"flagged_prefixes": ("t2p",)}, 15, "LOW"),
        ({"flagged_prefixes": ("T2Q",)}, 0, "LOW"),
        ({"earlier_cancellations": 1}, 45, "MEDIUM"),
        ({"earlier_cancellations": 2}, 55, "MEDIUM"),
        ({"first_time": True, "total_cents": 30_000}, 45, "MEDIUM"),  # MEDIUM boundary
        ({"first_time": True, "hours_until_start": 10}, 40, "LOW"),  # just below 45
        ({"first_time": True, "total_cents": 30_000, "hours_until_start": 10}, 65, "MEDIUM"),
        (
            {"earlier_cancellations": 1, "first_time": True, "flagged_prefixes": ("T2P",)},
            80,
            "HIGH",
        ),
        (
            {"earlier_cancellations": 1, "hours_until_start": 1, "flagged_prefixes": ("T2P",)},
            80,
            "HIGH",
        ),
        ({"earlier_cancellations": 1, "total_cents": 30_000}, 70, "MEDIUM"),  # just below 75
        ({"earlier_cancellations": 1, "first_time": True, "hours_until_start": 1}, 85, "HIGH"),
        ({"earlier_cancellations": 2, "first_time": True}, 75, "HIGH"),  # HIGH boundary
    ],
)
def test_risk_score_and_bands(over, score, band):
    risk = assess_risk(facts(**over))
    assert (risk.score, risk.band) == (score, band)


def test_worked_example_first_time_deep_five_days_out():
    d = decide_deposit(
        first_time=True,
        service_type="deep",
        hours_until_start=120,
        total_cents=15_750,
        risk_band="LOW",
    )
    assert d.reasons == ["first_time_client", "service_type_deep"]
    assert (d.percent, d.amount_cents) == (35, 5_513)


@pytest.mark.parametrize(
    ("hours", "reason", "percent"),
    [
        (23.99, "notice_lt_24h", 50),
        (24, "notice_lt_48h", 40),
        (47.99, "notice_lt_48h", 40),
        (48, None, 25),
    ],
)
def test_notice_windows(hours, reason, percent):
    d = decide_deposit(
        first_time=True,
        service_type="standard",
        hours_until_start=hours,
        total_cents=40_000,
        risk_band="LOW",
    )
    assert (reason in d.reasons) if reason else not any(r.startswith("notice") for r in d.reasons)
    assert d.percent == max(percent, 30)


@pytest.mark.parametrize(("total", "high_value"), [(29_999, False), (30_000, True)])
def test_high_value_boundary(total, high_value):
    d = decide_deposit(
        first_time=True,
        service_type="standard",
        hours_until_start=100,
        total_cents=total,
        risk_band="LOW",
    )
    assert ("high_value" in d.reasons) is high_value
    assert d.percent == (30 if high_value else 25)


@pytest.mark.parametrize(
    ("total", "hours", "amount"),
    [
        (10_000, 100, 5_000),  # 25 % = 2 500 → raised to the 5 000 floor
        (20_000, 100, 5_000),  # exactly the floor
        (20_004, 100, 5_001),  # 5 001.0 → ceil stays 5 001
        (20_001, 100, 5_001),  # 5 000.25 → ceil 5 001
        (39_998, 10, 19_999),  # < 24 h: 50 %
        (40_000, 10, 20_000),  # exactly the ceiling
        (40_002, 10, 20_000),  # 20 001 → clamped to 20 000
    ],
)
def test_amount_is_ceiled_and_clamped_to_5000_20000(total, hours, amount):
    d = decide_deposit(
        first_time=True,
        service_type="standard",
        hours_until_start=hours,
        total_cents=total,
        risk_band="LOW",
    )
    assert d.amount_cents == amount, d


def test_no_reason_no_deposit_and_risk_forces_one():
    none = decide_deposit(
        first_time=False,
        service_type="standard",
        hours_until_start=100,
        total_cents=10_000,
        risk_band="LOW",
    )
    assert not none.required and none.amount_cents == 0
    medium = decide_deposit(
        first_time=False,
        service_type="standard",
        hours_until_start=100,
        total_cents=10_000,
        risk_band="MEDIUM",
    )
    assert medium.required and medium.reasons == ["risk_medium"] and medium.amount_cents == 5_000
    high = decide_deposit(
        first_time=False,
        service_type="standard",
        hours_until_start=100,
        total_cents=10_000,
        risk_band="HIGH",
    )
    assert high.reasons == ["risk_high"]


def test_tenant_policy_numbers_override_defaults():
    d = decide_deposit(
        first_time=True,
        service_type="standard",
        hours_until_start=100,
        total_cents=10_000,
        risk_band="LOW",
        policy={"base_percent": 60, "max_cents": 5_500},
    )
    assert (d.percent, d.amount_cents) == (60, 5_500)


START = datetime(2027, 1, 10, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("service", "hours_before", "refund"),
    [
        ("deep", 72, 10_000),
        ("deep", 71.9, 5_000),
        ("deep", 48, 5_000),
        ("deep", 47.9, 0),
        ("standard", 48, 10_000),
        ("standard", 47.9, 5_000),
        ("standard", 24, 5_000),
        ("standard", 23.9, 0),
        ("move_in", 72, 10_000),
        ("move_out", 47, 0),
    ],
)
def test_refund_windows(service, hours_before, refund):
    snapshot = {"cancellation": cancellation_windows(service)}
    now = START - timedelta(hours=hours_before)
    assert refund_for(snapshot, 10_000, START, now) == refund


def test_reschedule_allowed_only_while_free_cancellation_holds():
    snapshot = {"cancellation": cancellation_windows("standard")}
    assert may_reschedule(snapshot, START, START - timedelta(hours=48))
    assert not may_reschedule(snapshot, START, START - timedelta(hours=47, minutes=59))
