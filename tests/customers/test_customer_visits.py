"""A customer's page lists their visits (SPEC §5.9 ``GET /admin/customers/{id}``): upcoming
first (soonest first, cancelled ones left out), then the recent past (newest first, any status);
bounded at 10 + 10 with a link to the bookings list filtered by the customer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from shared import db
from shared.tenancy import tenant_context
from tenantapp.bookings.models import Booking
from tests.bookings.conftest import monday
from tests.customers.helpers import customer_with_property, on_pro_plan, staff_book
from tests.workforce.helpers import make_worker


def _book(client, tenant, customer, prop, day, hhmm="09:00", **extra) -> dict:
    resp = staff_book(client, tenant, customer, prop, day, hhmm, skip_deposit=True, **extra)
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def _to_past(rt, tenant, booking_id: int, days_ago: int) -> None:
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=days_ago)
    with tenant_context(rt.tenants.by_id(tenant.id)):
        with db.transaction() as tx:
            tx.execute(
                update(Booking)
                .where(Booking.id == booking_id)
                .values(starts_at=start, ends_at=start + timedelta(hours=3), status="DONE")
            )
        db.close_session()


def _detail(client, tenant, customer_id, headers=None):
    return client.get(
        tenant.url(f"/admin/customers/{customer_id}"), headers=headers or tenant.headers
    )


def test_upcoming_visits_first_then_the_recent_past(client, rt, tenant):
    customer, prop = customer_with_property(client, tenant)
    worker = make_worker(client, tenant, name="Sam Crew")
    later = _book(client, tenant, customer, prop, monday(3))
    soon = _book(client, tenant, customer, prop, monday(2), "13:00", worker_ids=[worker.id])
    cancelled = _book(client, tenant, customer, prop, monday(4))
    resp = client.post(
        tenant.url(f"/admin/bookings/{cancelled['id']}/cancel"),
        json={"reason": "customer away"},
        headers=tenant.headers,
    )
    assert resp.status_code == 200, resp.get_json()
    old, older = (_book(client, tenant, customer, prop, monday(5 + i)) for i in range(2))
    _to_past(rt, tenant, old["id"], 3)
    _to_past(rt, tenant, older["id"], 10)
    other_customer, other_prop = customer_with_property(client, tenant)
    _book(client, tenant, other_customer, other_prop, monday(2))

    resp = _detail(client, tenant, customer["id"])
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert [(v["id"], v["when"]) for v in body["bookings"]] == [
        (soon["id"], "upcoming"),
        (later["id"], "upcoming"),
        (old["id"], "past"),
        (older["id"], "past"),
    ]
    first = body["bookings"][0]
    assert first["starts_at_local"].startswith(f"{monday(2).isoformat()}T13:00:00")
    assert first["status"] == "CONFIRMED" and first["service_type"] == "standard"
    assert first["property"] == {"id": prop["id"], "address": prop["address"]}
    assert first["crew"] == [{"id": worker.id, "name": "Sam Crew"}]
    assert first["team"]["id"] == soon["team_id"] and first["team"]["name"]
    assert body["bookings"][2]["status"] == "DONE"
    assert body["bookings_more"] is False
    assert body["bookings_url"] == f"/v1/admin/bookings?customer_id={customer['id']}"

    # The link lists every visit of the customer, the cancelled one included, nobody else's.
    listed = client.get(tenant.url(body["bookings_url"][len("/v1") :]), headers=tenant.headers)
    assert listed.status_code == 200
    ids = [b["id"] for b in listed.get_json()["items"]]
    assert sorted(ids) == sorted([later["id"], soon["id"], cancelled["id"], old["id"], older["id"]])


def test_the_list_is_bounded_and_links_to_the_rest(client, rt, tenant):
    on_pro_plan(rt, tenant)
    customer, prop = customer_with_property(client, tenant)
    start = monday(2)
    slots = [(start + timedelta(days=d), hhmm) for d in range(6) for hhmm in ("09:00", "13:00")]
    made = [_book(client, tenant, customer, prop, day, hhmm) for day, hhmm in slots[:11]]
    resp = _detail(client, tenant, customer["id"])
    body = resp.get_json()
    assert [v["id"] for v in body["bookings"]] == [b["id"] for b in made[:10]]
    assert body["bookings_more"] is True
    # Ten upcoming are not "more": the boundary is the eleventh.
    cancel = client.post(
        tenant.url(f"/admin/bookings/{made[10]['id']}/cancel"), json={}, headers=tenant.headers
    )
    assert cancel.status_code == 200
    assert _detail(client, tenant, customer["id"]).get_json()["bookings_more"] is False


def test_another_tenant_sees_none_of_the_visits(client, tenant, other_tenant):
    customer, prop = customer_with_property(client, tenant)
    _book(client, tenant, customer, prop, monday(2))
    h = other_tenant.headers
    assert _detail(client, other_tenant, customer["id"], headers=h).status_code == 404
    listed = client.get(
        other_tenant.url(f"/admin/bookings?customer_id={customer['id']}"), headers=h
    )
    assert listed.status_code == 200 and listed.get_json()["items"] == []
    # The other tenant's own customer (the same id, maybe) lists only their own visits.
    theirs, their_prop = customer_with_property(client, other_tenant)
    mine = _book(client, other_tenant, theirs, their_prop, monday(3))
    body = _detail(client, other_tenant, theirs["id"], headers=h).get_json()
    assert [v["id"] for v in body["bookings"]] == [mine["id"]]
