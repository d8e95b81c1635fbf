"""Crews (SPEC §5.5, §5.9): 1..6 workers per booking, each sees the job in the portal and runs
their own timer; overrun is judged per worker and the booking's summary adds the crew up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tenantapp.timetracking import service as time_service
from tests.bookings.conftest import monday
from tests.customers.helpers import customer_with_property, on_pro_plan, staff_book
from tests.workforce.helpers import add_team, assign, make_booking, make_worker


class Clock:
    def __init__(self):
        self.now = datetime(2030, 1, 7, 16, 0, tzinfo=UTC)

    def __call__(self):
        return self.now

    def advance(self, **delta):
        self.now += timedelta(**delta)


@pytest.fixture()
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(time_service, "_now", clock)
    return clock


def _crew(client, tenant, booking_id, worker_ids):
    return client.post(
        tenant.url(f"/admin/bookings/{booking_id}/workers"),
        json={"worker_ids": worker_ids},
        headers=tenant.headers,
    )


def _booking(client, tenant, day=None, hhmm="09:00", **extra):
    customer, prop = customer_with_property(client, tenant)
    resp = staff_book(
        client, tenant, customer, prop, day or monday(2), hhmm, skip_deposit=True, **extra
    )
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def test_six_workers_but_not_seven(client, tenant, rt):
    on_pro_plan(rt, tenant)
    workers = [make_worker(client, tenant) for _ in range(7)]
    b = _booking(client, tenant)
    six = _crew(client, tenant, b["id"], [w.id for w in workers[:6]])
    assert six.status_code == 200 and six.get_json()["worker_ids"] == [w.id for w in workers[:6]]
    seven = _crew(client, tenant, b["id"], [w.id for w in workers])
    assert seven.status_code == 422 and seven.get_json()["errors"][0]["field"] == "worker_ids"
    assert _crew(client, tenant, b["id"], []).status_code == 422
    listed = client.get(tenant.url(f"/admin/bookings/{b['id']}"), headers=tenant.headers)
    assert len(listed.get_json()["worker_ids"]) == 6


def test_bad_crews_are_422(client, tenant):
    w = make_worker(client, tenant)
    b = _booking(client, tenant)
    for ids in ([w.id, w.id], [999_999]):
        resp = _crew(client, tenant, b["id"], ids)
        assert resp.status_code == 422, ids
    client.patch(
        tenant.url(f"/admin/workers/{w.id}"), json={"active": False}, headers=tenant.headers
    )
    assert _crew(client, tenant, b["id"], [w.id]).status_code == 422


def test_crew_change_is_audited_and_assign_makes_a_crew_of_one(client, tenant):
    a, b_ = make_worker(client, tenant), make_worker(client, tenant)
    booking = _booking(client, tenant)
    assert _crew(client, tenant, booking["id"], [a.id, b_.id]).status_code == 200
    resp = assign(client, tenant, booking["id"], b_.id)
    assert resp.status_code == 200 and resp.get_json()["worker_ids"] == [b_.id]
    audit = client.get(tenant.url("/admin/audit?limit=50"), headers=tenant.headers).get_json()
    crew = next(e for e in audit["items"] if e["action"] == "booking.crew")
    assert crew["before"] == {"worker_ids": []} and crew["after"] == {"worker_ids": [a.id, b_.id]}
    one = next(e for e in audit["items"] if e["action"] == "booking.assign")
    assert one["after"] == {"worker_ids": [b_.id]}
    resp = assign(client, tenant, booking["id"], None)
    assert resp.get_json()["worker_ids"] == [] and resp.get_json()["worker_id"] is None


def test_a_worker_is_never_on_two_overlapping_bookings(client, tenant):
    day = monday(3)
    team_b = add_team(client, tenant)
    team_c = add_team(client, tenant, name="Team C")
    w = make_worker(client, tenant)
    first = _booking(client, tenant, day, "09:00", worker_ids=[w.id])  # 09:00-12:00
    other = _booking(client, tenant, day, "11:30", team_id=team_b)
    resp = _crew(client, tenant, other["id"], [w.id])
    assert resp.status_code == 409 and resp.get_json()["code"] == "worker_unavailable"
    later = _booking(client, tenant, day, "12:00", team_id=team_c)  # touches, no overlap
    assert _crew(client, tenant, later["id"], [w.id]).status_code == 200
    # Moving a booking onto its worker's other job is refused too.
    moved = client.post(
        tenant.url(f"/admin/bookings/{later['id']}/move"),
        json={"starts_at": f"{(day + timedelta(days=1)).isoformat()}T09:00:00"},
        headers=tenant.headers,
    )
    assert moved.status_code == 200  # another day: free
    moved = client.post(
        tenant.url(f"/admin/bookings/{later['id']}/move"),
        json={"starts_at": f"{day.isoformat()}T10:00:00", "team_id": team_c},
        headers=tenant.headers,
    )
    assert moved.status_code == 409 and moved.get_json()["code"] == "worker_unavailable"
    # A cancelled booking frees its workers (`later` now sits on the next day).
    assert _crew(client, tenant, other["id"], [w.id]).status_code == 409
    client.post(
        tenant.url(f"/admin/bookings/{first['id']}/cancel"), json={}, headers=tenant.headers
    )
    assert _crew(client, tenant, other["id"], [w.id]).status_code == 200


def test_every_crew_member_sees_the_job_and_others_do_not(client, tenant):
    team_b = add_team(client, tenant)
    a = make_worker(client, tenant, team_id=team_b)
    b = make_worker(client, tenant, team_id=team_b)
    teammate = make_worker(client, tenant)  # default team, not on the crew
    booking = _booking(client, tenant)
    assert _crew(client, tenant, booking["id"], [a.id, b.id]).status_code == 200
    for w in (a, b):
        job = client.get(tenant.url(f"/worker/jobs/{booking['id']}"), headers=w.headers)
        assert job.status_code == 200
        body = job.get_json()
        assert body["assigned_to_me"] and body["worker_ids"] == [a.id, b.id]
        assert body["address"] == "10230 Jasper Ave" and body["customer_name"] == "Robin Phone-in"
    hidden = client.get(tenant.url(f"/worker/jobs/{booking['id']}"), headers=teammate.headers)
    assert hidden.status_code == 404


def test_crew_size_defaults_to_the_estimators_team_size(client, tenant):
    big = {"beds": 5, "baths": 3, "service_type": "deep"}  # 6.6 cleaner-hours → team of 2
    booking = _booking(client, tenant, estimate_request=big)
    assert booking["worker_ids"] == [] and booking["crew_size"] == 2
    time = client.get(
        tenant.url(f"/admin/bookings/{booking['id']}/time"), headers=tenant.headers
    ).get_json()
    assert time["crew_size"] == 2
    assert time["planned_seconds"] == 2 * booking["duration_minutes"] * 60


def test_each_worker_runs_their_own_timer_and_the_summary_adds_up(client, tenant, clock):
    a, b = make_worker(client, tenant), make_worker(client, tenant)
    booking = _booking(client, tenant, duration_minutes=60)
    assert _crew(client, tenant, booking["id"], [a.id, b.id]).status_code == 200
    url = tenant.url(f"/worker/jobs/{booking['id']}/time")
    assert client.post(url + "/start", headers=a.headers).status_code == 200
    clock.advance(minutes=10)
    assert client.post(url + "/start", headers=b.headers).status_code == 200
    clock.advance(minutes=62)  # a: 72 min = exactly 1.2 × 60; b: 62 min
    assert client.post(url + "/finish", json={}, headers=a.headers).status_code == 200
    clock.advance(minutes=11)  # b: 73 min > 1.2 × 60 → needs a reason
    resp = client.post(url + "/finish", json={}, headers=b.headers)
    assert resp.status_code == 422 and resp.get_json()["errors"][0]["field"] == "overrun_reason"
    resp = client.post(url + "/finish", json={"overrun_reason": "EXTRA_DIRT"}, headers=b.headers)
    s = resp.get_json()
    assert resp.status_code == 200 and s["state"] == "FINISHED"
    assert s["crew_size"] == 2 and s["planned_seconds"] == 2 * 3600
    assert s["effective_seconds"] == (72 + 73) * 60
    assert s["delta_seconds"] == (72 + 73 - 120) * 60
    mine = {w["worker_id"]: w for w in s["workers"]}
    assert mine[a.id]["effective_seconds"] == 72 * 60 and not mine[a.id]["overrun"]
    assert mine[b.id]["overrun"] and mine[b.id]["overrun_reason"] == "EXTRA_DIRT"
    assert {seg["worker_id"] for seg in s["segments"]} == {a.id, b.id}


def test_staff_act_for_a_named_crew_member(client, tenant, clock):
    a, b = make_worker(client, tenant), make_worker(client, tenant)
    outsider = make_worker(client, tenant)
    booking = _booking(client, tenant)
    url = tenant.url(f"/admin/bookings/{booking['id']}/time")
    assert _crew(client, tenant, booking["id"], [a.id]).status_code == 200
    # The only crew member when none is named.
    resp = client.post(url + "/start", json={}, headers=tenant.headers)
    assert resp.status_code == 200 and resp.get_json()["workers"][0]["worker_id"] == a.id
    assert _crew(client, tenant, booking["id"], [a.id, b.id]).status_code == 200
    resp = client.post(url + "/pause", json={}, headers=tenant.headers)
    assert resp.status_code == 422 and resp.get_json()["errors"][0]["field"] == "worker_id"
    resp = client.post(url + "/start", json={"worker_id": b.id}, headers=tenant.headers)
    assert resp.status_code == 200 and resp.get_json()["state"] == "RUNNING"
    assert len(resp.get_json()["workers"]) == 2
    resp = client.post(url + "/start", json={"worker_id": outsider.id}, headers=tenant.headers)
    assert resp.status_code == 422


def test_concurrent_double_start_by_one_worker_makes_one_entry(client, tenant, clock, rt):
    import threading

    from sqlalchemy import text

    from shared.tenancy import quoted_schema

    w = make_worker(client, tenant)
    booking = _booking(client, tenant, worker_ids=[w.id])
    url = tenant.url(f"/worker/jobs/{booking['id']}/time/start")
    codes = []

    def go():
        codes.append(client.post(url, headers=w.headers).status_code)

    threads = [threading.Thread(target=go) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert codes == [200, 200]
    schema = quoted_schema(rt.tenants.by_id(tenant.id).schema_name)
    with rt.owner_engine.connect() as conn:
        count = conn.execute(
            text(f"SELECT count(*) FROM {schema}.time_entries WHERE booking_id = :b"),
            {"b": booking["id"]},
        ).scalar_one()
    assert count == 1


def test_a_public_booking_still_works_with_one_timer(client, tenant, clock):
    job = make_booking(client, tenant)
    url = tenant.url(f"/admin/bookings/{job['id']}/time")
    s = client.post(url + "/start", json={}, headers=tenant.headers).get_json()
    assert s["state"] == "RUNNING" and s["workers"][0]["worker_id"] is None


def test_estimate_accuracy_plans_each_crew_timer_for_the_duration(client, tenant, clock):
    a, b = make_worker(client, tenant), make_worker(client, tenant)
    day = monday(4)
    booking = _booking(client, tenant, day, duration_minutes=60, worker_ids=[a.id, b.id])
    url = tenant.url(f"/worker/jobs/{booking['id']}/time")
    for w in (a, b):
        assert client.post(url + "/start", headers=w.headers).status_code == 200
    clock.advance(minutes=66)  # each: 1.1 × the hour on site
    for w in (a, b):
        assert client.post(url + "/finish", json={}, headers=w.headers).status_code == 200
    done = client.post(
        tenant.url(f"/admin/bookings/{booking['id']}/complete"), headers=tenant.headers
    )
    assert done.status_code == 200
    metrics = client.get(
        tenant.url(f"/admin/metrics?from={day}&to={day + timedelta(days=1)}"),
        headers=tenant.headers,
    ).get_json()
    acc = metrics["estimate_accuracy"]
    assert acc == {"jobs": 1, "estimated_minutes": 120, "actual_minutes": 132, "ratio": 1.1}
