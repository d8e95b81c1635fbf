"""POST /admin/bookings (SPEC §5.9): staff book a customer's property by phone — no captcha, no
2-hour rule — keeping the team lock, the buffers, the allowance and the deposit policy; overrides
are audited with their reasons."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.bookings.conftest import ZONE, at, make_lead, monday
from tests.bookings.test_allowance import bookings_used
from tests.customers.helpers import customer_with_property, make_property, staff_book
from tests.workforce.helpers import add_team, make_worker


@pytest.fixture()
def day():
    return monday(2)


def _audit(client, tenant, action: str) -> list[dict]:
    resp = client.get(tenant.url("/admin/audit?limit=200"), headers=tenant.headers)
    return [e for e in resp.get_json()["items"] if e["action"] == action]


def test_a_phone_in_is_booked_from_the_property_home(client, tenant, day):
    customer, prop = customer_with_property(client, tenant)
    resp = staff_book(client, tenant, customer, prop, day, skip_deposit=True, notes="gate code")
    assert resp.status_code == 201, resp.get_json()
    b = resp.get_json()
    assert b["status"] == "CONFIRMED" and b["lead_id"] is None
    assert b["customer_id"] == customer["id"] and b["property_id"] == prop["id"]
    assert b["duration_minutes"] == 180 and b["total_cents"] == 10500  # 2 bd / 1 ba standard
    assert b["worker_ids"] == [] and b["crew_size"] == 1 and b["notes"] == "gate code"
    (entry,) = _audit(client, tenant, "booking.create")
    assert entry["after"]["source"] == "staff" and entry["after"]["skip_deposit"] is True


def test_the_deposit_policy_applies_unless_skipped(client, tenant, day):
    customer, prop = customer_with_property(client, tenant)
    resp = staff_book(client, tenant, customer, prop, day)  # a first-time customer
    b = resp.get_json()
    assert resp.status_code == 201 and b["status"] == "PENDING"
    assert b["deposit"]["required"] and "first_time_client" in b["deposit"]["reasons"]
    assert b["deposit"]["downgraded_reason"] == "stripe_unavailable"  # no Connect account


def test_no_two_hour_rule_but_never_the_past(client, tenant):
    customer, prop = customer_with_property(client, tenant)
    now = datetime.now(UTC)
    soon = (now + timedelta(minutes=40)).astimezone(ZONE)
    start = soon.replace(minute=0 if soon.minute < 30 else 30, second=0, microsecond=0)
    start += timedelta(minutes=30)  # 40..70 minutes ahead, on a half hour
    resp = staff_book(
        client,
        tenant,
        customer,
        prop,
        start.date(),
        start.strftime("%H:%M"),
        override_availability=True,
        override_reason="squeezed in",
        skip_deposit=True,
    )
    assert resp.status_code == 201, resp.get_json()
    past = now.astimezone(ZONE) - timedelta(hours=1)
    resp = staff_book(
        client,
        tenant,
        customer,
        prop,
        past.date(),
        past.strftime("%H:%M"),
        override_availability=True,
        override_reason="x",
    )
    assert resp.status_code == 422 and resp.get_json()["errors"][0]["field"] == "starts_at"


@pytest.mark.parametrize(
    ("minutes", "status"), [(600, 201), (630, 422), (30, 201), (0, 422), (45, 422)]
)
def test_duration_range_and_steps(client, tenant, day, minutes, status):
    customer, prop = customer_with_property(client, tenant)
    resp = staff_book(
        client,
        tenant,
        customer,
        prop,
        day,
        "06:00",
        duration_minutes=minutes,
        override_availability=True,
        override_reason="long job",
        skip_deposit=True,
    )
    assert resp.status_code == status, resp.get_json()
    if status == 201:
        assert resp.get_json()["duration_minutes"] == minutes
        (entry,) = _audit(client, tenant, "booking.duration_override")
        assert entry["before"] == {"estimated_minutes": 180}
        assert entry["after"] == {"duration_minutes": minutes}
    else:
        assert resp.get_json()["errors"][0]["field"] == "duration_minutes"


def test_override_books_into_a_blackout_but_never_over_a_booking(client, tenant, day):
    customer, prop = customer_with_property(client, tenant)
    blackout = client.post(
        tenant.url("/admin/blackouts"),
        json={"starts_at": at(day, "09:00"), "ends_at": at(day, "18:00"), "reason": "training"},
        headers=tenant.headers,
    )
    assert blackout.status_code == 201, blackout.get_json()
    plain = staff_book(client, tenant, customer, prop, day, "10:00", skip_deposit=True)
    assert plain.status_code == 409 and plain.get_json()["code"] == "slot_unavailable"
    into = staff_book(
        client,
        tenant,
        customer,
        prop,
        day,
        "10:00",
        skip_deposit=True,
        override_availability=True,
        override_reason="VIP asked for today",
    )
    assert into.status_code == 201, into.get_json()
    (entry,) = _audit(client, tenant, "booking.availability_override")
    assert entry["after"]["reason"] == "VIP asked for today"
    # The same team's booking (and its 30-minute buffer) is never overridden.
    for hhmm in ("11:00", "13:00", "13:29"):
        over = staff_book(
            client,
            tenant,
            customer,
            prop,
            day,
            hhmm,
            skip_deposit=True,
            override_availability=True,
            override_reason="double book",
        )
        assert over.status_code == 409, hhmm
        assert over.get_json()["code"] == "slot_unavailable"
    after = staff_book(
        client,
        tenant,
        customer,
        prop,
        day,
        "13:30",
        skip_deposit=True,
        override_availability=True,
        override_reason="after the buffer",
    )
    assert after.status_code == 201


def test_outside_working_hours_needs_the_override(client, tenant, day):
    customer, prop = customer_with_property(client, tenant)
    early = staff_book(client, tenant, customer, prop, day, "06:00", skip_deposit=True)
    assert early.status_code == 409
    sunday = day - timedelta(days=1)
    resp = staff_book(
        client,
        tenant,
        customer,
        prop,
        sunday,
        "20:00",
        skip_deposit=True,
        override_availability=True,
        override_reason="evening move-out",
    )
    assert resp.status_code == 201, resp.get_json()


def test_a_reason_is_required_with_each_override(client, tenant, day):
    customer, prop = customer_with_property(client, tenant)
    for extra, field in (
        ({"override_availability": True}, "override_reason"),
        ({"price_override_cents": 9000}, "price_override_reason"),
        ({"price_override_cents": 9000, "price_override_reason": "  "}, "price_override_reason"),
    ):
        resp = staff_book(client, tenant, customer, prop, day, **extra)
        assert resp.status_code == 422, extra
        assert resp.get_json()["errors"][0]["field"] == field


def test_price_override_is_the_price_and_is_audited(client, tenant, day):
    customer, prop = customer_with_property(client, tenant)
    resp = staff_book(
        client,
        tenant,
        customer,
        prop,
        day,
        skip_deposit=True,
        price_override_cents=9000,
        price_override_reason="loyal customer discount",
    )
    b = resp.get_json()
    assert resp.status_code == 201 and b["total_cents"] == 9000
    assert b["estimate_total_cents"] == 10500 and b["price_override_cents"] == 9000
    (entry,) = _audit(client, tenant, "booking.price_override")
    assert entry["before"] == {"estimate_total_cents": 10500}
    assert entry["after"] == {"price_override_cents": 9000, "reason": "loyal customer discount"}


def test_a_price_override_without_an_estimate_needs_a_duration(client, tenant, day):
    customer, _ = customer_with_property(client, tenant)
    bare = make_property(client, tenant, customer["id"], address="1 Bare St")  # no home details
    body = {"price_override_cents": 20000, "price_override_reason": "quoted on site"}
    resp = staff_book(client, tenant, customer, bare, day, skip_deposit=True, **body)
    assert resp.status_code == 422 and resp.get_json()["errors"][0]["field"] == "duration_minutes"
    resp = staff_book(
        client, tenant, customer, bare, day, skip_deposit=True, duration_minutes=240, **body
    )
    assert resp.status_code == 201 and resp.get_json()["total_cents"] == 20000
    nothing = staff_book(client, tenant, customer, bare, day, "14:30")
    assert nothing.status_code == 422
    assert nothing.get_json()["errors"][0]["field"] == "estimate_request"


def test_an_estimate_request_prices_it_and_a_recurring_one_is_422(client, tenant, day):
    customer, prop = customer_with_property(client, tenant)
    deep = {"beds": 2, "baths": 1, "service_type": "deep", "heavy_grease": True}
    resp = staff_book(client, tenant, customer, prop, day, skip_deposit=True, estimate_request=deep)
    assert resp.status_code == 201 and resp.get_json()["total_cents"] == 15750
    assert resp.get_json()["duration_minutes"] == 270
    weekly = staff_book(
        client,
        tenant,
        customer,
        prop,
        day,
        "15:00",
        estimate_request={**deep, "frequency": "weekly"},
    )
    assert weekly.status_code == 422
    assert weekly.get_json()["errors"][0]["field"] == "estimate_request.frequency"


def test_an_archived_property_or_another_customers_is_422(client, tenant, day):
    customer, prop = customer_with_property(client, tenant)
    other, other_prop = customer_with_property(client, tenant)
    url = tenant.url(f"/admin/customers/{customer['id']}/properties/{prop['id']}")
    assert client.patch(url, json={"archived": True}, headers=tenant.headers).status_code == 200
    resp = staff_book(client, tenant, customer, prop, day)
    assert resp.status_code == 422 and resp.get_json()["errors"][0]["field"] == "property_id"
    resp = staff_book(client, tenant, customer, other_prop, day)
    assert resp.status_code == 422 and resp.get_json()["errors"][0]["field"] == "property_id"
    resp = staff_book(client, tenant, {"id": 999_999}, other_prop, day)
    assert resp.status_code == 422 and resp.get_json()["errors"][0]["field"] == "customer_id"


def test_the_team_given_or_the_first_free_one(client, tenant, day):
    team_b = add_team(client, tenant)
    customer, prop = customer_with_property(client, tenant)
    first = staff_book(client, tenant, customer, prop, day, skip_deposit=True).get_json()
    second = staff_book(client, tenant, customer, prop, day, skip_deposit=True).get_json()
    assert first["team_id"] < second["team_id"] == team_b
    third = staff_book(client, tenant, customer, prop, day, skip_deposit=True)
    assert third.status_code == 409 and third.get_json()["code"] == "slot_unavailable"
    given = staff_book(
        client, tenant, customer, prop, day, "14:00", team_id=team_b, skip_deposit=True
    )
    assert given.status_code == 201 and given.get_json()["team_id"] == team_b
    unknown = staff_book(client, tenant, customer, prop, day, "14:00", team_id=999_999)
    assert unknown.status_code == 422 and unknown.get_json()["errors"][0]["field"] == "team_id"


def test_a_public_booking_blocks_staff_and_the_reverse(client, tenant, day):
    customer, prop = customer_with_property(client, tenant)
    assert staff_book(client, tenant, customer, prop, day, skip_deposit=True).status_code == 201
    lead = make_lead(client, tenant)
    slots = client.get(
        tenant.url("/slots"),
        query_string={
            "date": day.isoformat(),
            "lead_id": lead["lead_id"],
            "lead_token": lead["lead_token"],
        },
    ).get_json()
    assert slots["suggestions"]
    assert all(s["starts_at_local"][11:16] >= "12:30" for s in slots["suggestions"])


def test_crew_on_creation_and_a_busy_worker_is_409(client, tenant, day):
    a, b = make_worker(client, tenant), make_worker(client, tenant)
    team_b = add_team(client, tenant)
    customer, prop = customer_with_property(client, tenant)
    first = staff_book(
        client, tenant, customer, prop, day, skip_deposit=True, worker_ids=[a.id, b.id]
    )
    assert first.status_code == 201 and first.get_json()["worker_ids"] == [a.id, b.id]
    assert first.get_json()["crew_size"] == 2
    # Another team is free, but worker b is not: never in two overlapping bookings.
    clash = staff_book(
        client,
        tenant,
        customer,
        prop,
        day,
        "11:00",
        team_id=team_b,
        skip_deposit=True,
        worker_ids=[b.id],
    )
    assert clash.status_code == 409 and clash.get_json()["code"] == "worker_unavailable"
    right_after = staff_book(
        client,
        tenant,
        customer,
        prop,
        day,
        "12:00",
        team_id=team_b,
        skip_deposit=True,
        worker_ids=[b.id],
    )
    assert right_after.status_code == 201


def test_idempotency_key_is_required_and_replays(client, tenant, day):
    customer, prop = customer_with_property(client, tenant)
    body = {
        "customer_id": customer["id"],
        "property_id": prop["id"],
        "starts_at": at(day, "09:00"),
        "skip_deposit": True,
    }
    resp = client.post(tenant.url("/admin/bookings"), json=body, headers=tenant.headers)
    assert resp.status_code == 400 and resp.get_json()["code"] == "idempotency_key_required"
    first = staff_book(client, tenant, customer, prop, day, key="k-1", skip_deposit=True)
    again = staff_book(client, tenant, customer, prop, day, key="k-1", skip_deposit=True)
    assert first.status_code == again.status_code == 201
    assert first.get_json()["id"] == again.get_json()["id"]
    other = staff_book(client, tenant, customer, prop, day, "14:00", key="k-1")
    assert other.status_code == 409 and other.get_json()["code"] == "idempotency_key_reused"


def test_unknown_fields_are_422(client, tenant, day):
    customer, prop = customer_with_property(client, tenant)
    resp = staff_book(client, tenant, customer, prop, day, captcha_token="x")
    assert resp.status_code == 422


def test_the_allowance_counts_staff_bookings(client, tenant, day, rt):
    customer, prop = customer_with_property(client, tenant)
    before = bookings_used(rt, tenant, day)
    assert staff_book(client, tenant, customer, prop, day, skip_deposit=True).status_code == 201
    assert bookings_used(rt, tenant, day) == before + 1


def test_another_tenants_ids_get_nothing(client, tenant, other_tenant, day):
    customer, prop = customer_with_property(client, tenant)
    booking = staff_book(client, tenant, customer, prop, day, skip_deposit=True).get_json()
    resp = staff_book(client, other_tenant, customer, prop, day, skip_deposit=True)
    assert resp.status_code == 422 and resp.get_json()["errors"][0]["field"] == "customer_id"
    w = make_worker(client, other_tenant)
    resp = client.post(
        other_tenant.url(f"/admin/bookings/{booking['id']}/workers"),
        json={"worker_ids": [w.id]},
        headers=other_tenant.headers,
    )
    assert resp.status_code == 404
