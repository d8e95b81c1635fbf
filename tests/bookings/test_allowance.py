"""The booking allowance (SPEC §4.4, issue #17 item 4): a booking counts in the period of its
start, a PENDING unpaid booking that is cancelled gives its unit back once, and at most
``max_pending_without_deposit`` bookings may wait without a deposit."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select, text

from shared import db
from shared.entitlements import consume, counted_at, release, usage
from shared.errors import LimitReached
from shared.models.plans import UsageEvent
from tests.bookings.conftest import ZONE, at, book, make_lead, monday


def next_month_days(count: int, today: date | None = None) -> list[date]:
    """The first ``count`` working days (Mon–Sat) of next month, tenant-local."""
    today = today or datetime.now(ZONE).date()
    day = date(today.year + today.month // 12, today.month % 12 + 1, 1)
    out = []
    while len(out) < count:
        if day.weekday() != 6:
            out.append(day)
        day += timedelta(days=1)
    return out


def bookings_used(rt, tenant, day: date) -> int:
    """``bookings_created`` in the usage period that contains local ``day`` at noon."""
    when = datetime.combine(day, time(12), tzinfo=ZONE)
    try:
        return usage(db.session(), tenant.id, when)["bookings_created"]
    finally:
        db.close_session()


def _cancel(client, tenant, booking_id):
    resp = client.post(
        tenant.url(f"/admin/bookings/{booking_id}/cancel"),
        json={"reason": "test"},
        headers=tenant.headers,
    )
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def test_booking_made_this_month_for_next_month_counts_next_month(client, tenant, rt):
    (start_day,) = next_month_days(1)
    lead = make_lead(client, tenant)
    assert book(client, tenant, lead["lead_id"], at(start_day, "09:00")).status_code == 201
    assert bookings_used(rt, tenant, datetime.now(ZONE).date()) == 0
    assert bookings_used(rt, tenant, start_day) == 1
    status = client.get("/v1/billing/status", headers=tenant.headers).get_json()
    assert status["usage"]["bookings_created"] == 0
    assert status["drift"]["bookings_created"] == 0  # the event is dated in next month


def test_counting_period_boundary_is_the_first_instant_of_the_month(rt, tenant):
    now = datetime(2030, 1, 15, 10, 0, tzinfo=UTC)
    last_instant = datetime(2030, 1, 31, 23, 59, 59, 999999, tzinfo=UTC)
    first_instant = datetime(2030, 2, 1, 0, 0, tzinfo=UTC)
    assert counted_at(last_instant, now) == now
    assert counted_at(first_instant, now) == first_instant
    # 18:00 in Edmonton on Jan 31 is already February in UTC, the usage periods' clock
    assert counted_at(datetime(2030, 1, 31, 18, 0, tzinfo=ZONE), now) == first_instant
    ref = rt.tenants.by_id(tenant.id)
    with db.transaction() as tx:
        consume(tx, ref, "bookings_created", 20, now=counted_at(last_instant, now))
    with pytest.raises(LimitReached), db.transaction() as tx:
        consume(tx, ref, "bookings_created", 1, now=counted_at(last_instant, now))
    with db.transaction() as tx:  # January is full; a February start still counts
        assert consume(tx, ref, "bookings_created", 1, now=counted_at(first_instant, now)) == 1
    assert usage(db.session(), ref.id, now)["bookings_created"] == 20
    assert usage(db.session(), ref.id, first_instant)["bookings_created"] == 1
    db.close_session()


def test_cancelled_pending_booking_gives_its_unit_back_once(client, tenant, rt, day):
    lead = make_lead(client, tenant)
    b = book(client, tenant, lead["lead_id"], at(day, "09:00")).get_json()
    assert b["status"] == "PENDING" and b["deposit"]["status"] is None
    assert bookings_used(rt, tenant, day) == 1
    _cancel(client, tenant, b["id"])
    assert bookings_used(rt, tenant, day) == 0
    ref = rt.tenants.by_id(tenant.id)
    consumed, released = f"booking:{tenant.id}:{b['id']}", f"booking-release:{tenant.id}:{b['id']}"
    with db.transaction() as tx:  # a replayed release (job retry, webhook redelivery) is a no-op
        assert release(tx, ref, consumed, released) is False
    events = db.session().execute(
        select(UsageEvent.idempotency_key, UsageEvent.quantity).where(
            UsageEvent.idempotency_key.in_((consumed, released))
        )
    )
    assert sorted(events) == [(released, -1), (consumed, 1)]
    db.close_session()
    assert bookings_used(rt, tenant, day) == 0


def test_customer_cancel_of_a_pending_booking_gives_its_unit_back(client, tenant, rt, day):
    lead = make_lead(client, tenant)
    b = book(client, tenant, lead["lead_id"], at(day, "09:00")).get_json()
    token = b["manage_url"].split("token=")[1]
    resp = client.post(tenant.url(f"/bookings/{b['id']}/cancel?token={token}"))
    assert resp.status_code == 200 and resp.get_json()["status"] == "CANCELLED"
    assert bookings_used(rt, tenant, day) == 0


def test_confirmed_booking_keeps_its_unit_when_cancelled(client, tenant, rt, day):
    lead = make_lead(client, tenant)
    b = book(client, tenant, lead["lead_id"], at(day, "09:00")).get_json()
    client.post(tenant.url(f"/admin/bookings/{b['id']}/confirm"), headers=tenant.headers)
    _cancel(client, tenant, b["id"])
    assert bookings_used(rt, tenant, day) == 1


def test_next_month_booking_gives_its_unit_back_to_next_month(client, tenant, rt):
    (start_day,) = next_month_days(1)
    ref = rt.tenants.by_id(tenant.id)
    this_month = datetime.now(UTC)
    with db.transaction() as tx:
        consume(tx, ref, "bookings_created", 5, now=this_month)
    db.close_session()
    lead = make_lead(client, tenant)
    b = book(client, tenant, lead["lead_id"], at(start_day, "09:00")).get_json()
    assert bookings_used(rt, tenant, start_day) == 1
    _cancel(client, tenant, b["id"])
    assert bookings_used(rt, tenant, start_day) == 0
    assert usage(db.session(), tenant.id, this_month)["bookings_created"] == 5
    db.close_session()


def _clone_waiting(rt, tenant, booking_id: int, copies: int) -> None:
    """``copies`` more PENDING bookings without a deposit, far ahead (slots stay free)."""
    schema = rt.tenants.by_slug(tenant.slug).schema_name
    cols = (
        "lead_id, customer_id, team_id, status, service_type, duration_minutes, "
        "estimate_total_cents, total_cents, risk_score, risk_band, policy_snapshot, "
        "deposit_required, downgraded_reason"
    )
    with rt.owner_engine.begin() as conn:
        conn.execute(
            text(
                f'INSERT INTO "{schema}".bookings ({cols}, starts_at, ends_at) '
                f"SELECT {cols}, starts_at + g * interval '1 day' + interval '400 days', "
                f"ends_at + g * interval '1 day' + interval '400 days' "
                f'FROM "{schema}".bookings, generate_series(1, :n) AS g WHERE id = :id'
            ),
            {"n": copies, "id": booking_id},
        )


def test_pending_without_deposit_cap_boundary_50_then_51(client, tenant, rt, day):
    settings = client.get(tenant.url("/admin/settings"), headers=tenant.headers).get_json()
    assert settings["max_pending_without_deposit"] == 50
    first = book(client, tenant, make_lead(client, tenant)["lead_id"], at(day, "09:00"))
    assert first.get_json()["status"] == "PENDING" and first.get_json()["deposit"]["status"] is None
    _clone_waiting(rt, tenant, first.get_json()["id"], 48)  # 49 waiting
    fiftieth = make_lead(client, tenant, email="fifty@example.com", phone="+1 403 555 0150")
    assert book(client, tenant, fiftieth["lead_id"], at(day, "13:00")).status_code == 201
    used = bookings_used(rt, tenant, monday(3))
    late = make_lead(client, tenant, email="late@example.com", phone="+1 403 555 0151")
    refused = book(client, tenant, late["lead_id"], at(monday(3), "09:00"))
    assert refused.status_code == 409, refused.get_json()
    problem = refused.get_json()
    assert problem["code"] == "conflict" and problem["pending_limit"] == 50
    assert "waiting for confirmation" in problem["detail"]
    assert refused.content_type == "application/problem+json"
    # nothing half-written: no unit counted, the slot still free, the lead still open
    assert bookings_used(rt, tenant, monday(3)) == used
    slots = client.get(
        tenant.url(f"/slots?date={monday(3)}&lead_id={late['lead_id']}")
        + f"&lead_token={late['lead_token']}"
    )
    assert slots.get_json()["suggestions"][0]["starts_at_local"].startswith(f"{monday(3)}T09:00")
    _cancel(client, tenant, first.get_json()["id"])  # staff clear one: a place opens
    assert book(client, tenant, late["lead_id"], at(monday(3), "09:00")).status_code == 201


def test_pending_cap_is_a_setting_and_spares_bookings_that_need_no_wait(client, tenant, day):
    patch = tenant.url("/admin/settings")
    for bad in (0, -1, "5", 100_001):
        resp = client.patch(
            patch, json={"max_pending_without_deposit": bad}, headers=tenant.headers
        )
        assert resp.status_code == 422, bad
    resp = client.patch(patch, json={"max_pending_without_deposit": 1}, headers=tenant.headers)
    assert resp.status_code == 200 and resp.get_json()["max_pending_without_deposit"] == 1
    pat = make_lead(client, tenant)
    first = book(client, tenant, pat["lead_id"], at(day, "09:00")).get_json()
    client.post(tenant.url(f"/admin/bookings/{first['id']}/confirm"), headers=tenant.headers)
    sam = make_lead(client, tenant, email="sam@example.com", phone="+1 403 555 0161")
    assert book(client, tenant, sam["lead_id"], at(day, "13:00")).status_code == 201  # 1 waiting
    kim = make_lead(client, tenant, email="kim@example.com", phone="+1 403 555 0162")
    assert book(client, tenant, kim["lead_id"], at(monday(3), "09:00")).status_code == 409
    # Pat is a returning customer: no deposit, confirmed at once, not held by the cap
    again = make_lead(client, tenant)
    resp = book(client, tenant, again["lead_id"], at(monday(3), "09:00"))
    assert resp.status_code == 201 and resp.get_json()["status"] == "CONFIRMED"
