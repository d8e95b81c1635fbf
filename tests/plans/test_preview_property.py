"""Property-based: over random first dates, frequencies, zones and start times, the materialised
visits are exactly the schedule preview, each once, each at its local time (SPEC §5.10)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from shared import db
from tenantapp.bookings.models import Booking
from tenantapp.plans import service
from tenantapp.settings.models import TenantSettings
from tests.plans.conftest import make_customer

ZONES = ["America/Edmonton", "America/St_Johns", "Australia/Lord_Howe", "Europe/London"]


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    offset=st.integers(min_value=1, max_value=40),
    frequency=st.sampled_from(["weekly", "biweekly", "monthly"]),
    zone=st.sampled_from(ZONES),
    minutes=st.integers(min_value=0, max_value=24 * 60 - 1).map(lambda m: m - m % 15),
)
def test_materialised_visits_are_the_preview(
    client, tenant, rt, in_tenant, offset, frequency, zone, minutes
):
    with db.transaction() as tx:
        tx.get(TenantSettings, 1).time_zone = zone
    db.close_session()
    tz = ZoneInfo(zone)
    today = datetime.now(UTC).astimezone(tz).date()
    start_time = time(minutes // 60, minutes % 60)
    customer = _customer(client, tenant)
    plan = service.create_plan(
        {
            "customer_id": customer,
            "frequency": frequency,
            "first_date": today + timedelta(days=offset),
            "start_time": start_time,
            "estimate_request": {"beds": 1, "baths": 1},
        }
    )
    horizon = today + timedelta(days=57)
    preview = service.schedule(plan, today, horizon)
    visits = list(
        db.session().scalars(
            select(Booking).where(Booking.plan_id == plan.id).order_by(Booking.occurrence_date)
        )
    )
    db.close_session()
    assert [p["date"] for p in preview] == [v.occurrence_date for v in visits]
    assert len({v.occurrence_date for v in visits}) == len(visits)
    for item, visit in zip(preview, visits, strict=True):
        assert item["starts_at"] == visit.starts_at
        assert item["booking_id"] == visit.id
        local = visit.starts_at.astimezone(tz)
        assert local.date() == visit.occurrence_date
        if "time_shifted" in visit.flags:
            assert local.time() > start_time
        else:
            assert local.time() == start_time


_CUSTOMERS: dict[str, int] = {}


def _customer(client, tenant) -> int:
    if tenant.slug not in _CUSTOMERS:
        _CUSTOMERS[tenant.slug] = make_customer(client, tenant)
    return _CUSTOMERS[tenant.slug]
