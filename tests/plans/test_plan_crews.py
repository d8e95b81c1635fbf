"""Plans with a property and a crew (SPEC §5.9 + §5.10)."""

from __future__ import annotations

from sqlalchemy import select

from shared import db
from shared.tenancy import tenant_context
from tenantapp.bookings.models import BookingWorker
from tenantapp.customers.models import Property
from tests.plans.conftest import create_plan, make_customer, next_weekday, plan_bookings


def _property(rt, tenant, customer_id, home=None) -> int:
    with tenant_context(rt.tenants.by_slug(tenant.slug)):
        try:
            with db.transaction() as tx:
                prop = Property(customer_id=customer_id, address="10230 Jasper Ave", home=home)
                tx.add(prop)
                tx.flush()
                return prop.id
        finally:
            db.close_session()


def _crew(rt, tenant, booking_id) -> list[int]:
    with tenant_context(rt.tenants.by_slug(tenant.slug)):
        try:
            return sorted(
                db.session().scalars(
                    select(BookingWorker.worker_id).where(BookingWorker.booking_id == booking_id)
                )
            )
        finally:
            db.close_session()


def _worker(client, tenant, name) -> int:
    resp = client.post(
        tenant.url("/admin/workers"),
        json={"name": name, "email": f"{name.lower()}@example.com"},
        headers=tenant.headers,
    )
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()["id"]


def test_plan_is_priced_from_the_property_home_and_visits_point_at_it(client, tenant, rt):
    customer = make_customer(client, tenant)
    prop = _property(rt, tenant, customer, home={"beds": 2, "baths": 1, "service_type": "deep"})
    plan = create_plan(
        client, tenant, customer_id=customer, property_id=prop, estimate_request=None
    )
    assert plan["property_id"] == prop
    assert plan["price"]["estimate_request"]["service_type"] == "deep"
    assert plan["price"]["estimate_request"]["frequency"] == "weekly"


def test_another_customers_property_is_422(client, tenant, rt):
    customer = make_customer(client, tenant)
    other = make_customer(client, tenant)
    prop = _property(rt, tenant, other)
    body = create_plan(client, tenant, customer_id=customer, property_id=prop, expect=422)
    assert body["errors"][0]["field"] == "property_id"


def test_visits_get_the_plans_crew_and_a_busy_worker_is_left_out(client, tenant, rt):
    sam, kim = _worker(client, tenant, "Sam"), _worker(client, tenant, "Kim")
    first = next_weekday(3)
    plan = create_plan(client, tenant, first_date=first, worker_ids=[sam, kim])
    visits = plan_bookings(client, tenant, plan["id"])
    assert all(_crew(rt, tenant, v["id"]) == sorted([sam, kim]) for v in visits)
    assert all("crew_changed" not in v["flags"] for v in visits)
    # a second plan at the same time wants Sam too: he is never in two overlapping visits
    resp = client.put(
        tenant.url("/admin/teams"),
        json={"teams": [{"id": visits[0]["team_id"], "name": "Main"}, {"name": "Second"}]},
        headers=tenant.headers,
    )
    second = [t["id"] for t in resp.get_json()["items"] if t["name"] == "Second"][0]
    hours = [{"day_of_week": d, "start": "09:00", "end": "18:00"} for d in range(7)]
    client.put(
        tenant.url(f"/admin/teams/{second}/working-hours"),
        json={"hours": hours},
        headers=tenant.headers,
    )
    other = create_plan(client, tenant, first_date=first, worker_ids=[sam])
    for v in plan_bookings(client, tenant, other["id"]):
        assert v["team_id"] == second and "crew_changed" in v["flags"]
        assert _crew(rt, tenant, v["id"]) == []


def test_unknown_worker_is_422(client, tenant):
    body = create_plan(client, tenant, worker_ids=[999999], expect=422)
    assert body["errors"][0]["field"] == "worker_ids.0"


def test_patching_the_crew_rebuilds_the_crew_of_future_visits(client, tenant, rt):
    sam, kim = _worker(client, tenant, "Sam"), _worker(client, tenant, "Kim")
    plan = create_plan(client, tenant, worker_ids=[sam])
    visits = sorted(plan_bookings(client, tenant, plan["id"]), key=lambda v: v["starts_at"])
    resp = client.patch(
        tenant.url(f"/admin/plans/{plan['id']}"),
        json={"effective_from": visits[1]["occurrence_date"], "worker_ids": [kim]},
        headers=tenant.headers,
    )
    assert resp.status_code == 200, resp.get_json()
    assert _crew(rt, tenant, visits[0]["id"]) == [sam]
    assert all(_crew(rt, tenant, v["id"]) == [kim] for v in visits[1:])
