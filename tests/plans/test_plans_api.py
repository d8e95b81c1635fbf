"""Plans over HTTP (SPEC §5.10): creation, materialisation, schedule, conflicts."""

from __future__ import annotations

from datetime import timedelta

from tests.plans.conftest import ZONE, create_plan, next_weekday, plan_bookings, today


def test_weekly_plan_materialises_visits_up_to_the_horizon(client, tenant):
    first = next_weekday(1)
    plan = create_plan(client, tenant, first_date=first)
    assert plan["status"] == "ACTIVE"
    assert plan["rrule"].endswith("RRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=TU")
    assert plan["time_zone"] == "America/Edmonton"
    assert plan["price"]["total_before_tax_cents"] == 9450  # 2 bd/1 ba weekly: 105.00 − 10 %
    horizon = today() + timedelta(days=56)
    visits = plan_bookings(client, tenant, plan["id"])
    dates = sorted(v["occurrence_date"] for v in visits)
    expected = []
    d = first
    while d <= horizon:
        expected.append(d.isoformat())
        d += timedelta(days=7)
    assert dates == expected
    for v in visits:
        assert v["status"] == "CONFIRMED"
        assert v["total_cents"] == 9450
        assert v["starts_at_local"].endswith(("T09:00:00-07:00", "T09:00:00-06:00"))
    assert len(plan["upcoming"]) == 10
    assert plan["upcoming"][0]["date"] == first.isoformat()
