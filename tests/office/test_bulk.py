"""POST /admin/bookings/bulk and /admin/leads/bulk (SPEC §5.9)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from sqlalchemy import select

from tenantapp.audit.models import AuditEntry
from tests.bookings.conftest import at, book, make_lead, monday
from tests.office.helpers import in_tenant
from tests.workforce.helpers import make_worker

UNKNOWN = 987_654_321


def bulk(client, tenant, body, path="/admin/bookings/bulk", key=None):
    headers = {**tenant.headers, "Idempotency-Key": key or uuid.uuid4().hex}
    return client.post(tenant.url(path), json=body, headers=headers)


def _booking(client, tenant, booking_id):
    return client.get(
        tenant.url(f"/admin/bookings/{booking_id}"), headers=tenant.headers
    ).get_json()


def _two_bookings(client, tenant):
    day = monday()
    ids = []
    for n, hhmm in enumerate(("09:00", "14:00")):
        lead = make_lead(client, tenant, email=f"bulk{n}@example.com")
        resp = book(client, tenant, lead["lead_id"], at(day, hhmm))
        assert resp.status_code == 201, resp.get_json()
        ids.append(resp.get_json()["id"])
    return ids


def test_dry_run_answers_like_the_real_run_and_changes_nothing(client, runtime, tenant):
    ids = _two_bookings(client, tenant)
    body = {"action": "confirm", "ids": [*ids, UNKNOWN], "params": {}, "dry_run": True}
    dry = bulk(client, tenant, body)
    assert dry.status_code == 200, dry.get_json()
    items = dry.get_json()["items"]
    assert dry.get_json()["dry_run"] is True
    assert [i["id"] for i in items] == [*ids, UNKNOWN]
    assert [i["ok"] for i in items] == [True, True, False]
    assert items[2]["code"] == "not_found"
    assert all(_booking(client, tenant, i)["status"] == "PENDING" for i in ids)

    real = bulk(client, tenant, {**body, "dry_run": False})
    assert [i["ok"] for i in real.get_json()["items"]] == [True, True, False]
    assert real.get_json()["items"][0]["status"] == "CONFIRMED"
    assert all(_booking(client, tenant, i)["status"] == "CONFIRMED" for i in ids)
    again = bulk(client, tenant, {**body, "dry_run": False})
    assert [i["code"] for i in again.get_json()["items"]] == [
        "invalid_transition",
        "invalid_transition",
        "not_found",
    ]
    with in_tenant(runtime, tenant) as sess:
        actions = list(sess.scalars(select(AuditEntry.action)))
    assert actions.count("booking.confirm") == 2
    assert actions.count("booking.bulk_confirm") == 2  # the dry run left no entry


def test_500_ids_are_accepted_and_501_refused(client, tenant):
    ids = list(range(UNKNOWN, UNKNOWN + 500))
    ok = bulk(client, tenant, {"action": "confirm", "ids": ids, "dry_run": True})
    assert ok.status_code == 200
    assert len(ok.get_json()["items"]) == 500
    assert {i["code"] for i in ok.get_json()["items"]} == {"not_found"}
    over = bulk(client, tenant, {"action": "confirm", "ids": [*ids, UNKNOWN + 500]})
    assert over.status_code == 422
    assert over.get_json()["errors"][0]["field"] == "ids"
    assert bulk(client, tenant, {"action": "confirm", "ids": []}).status_code == 422


def test_idempotency_key_is_required_and_replays(client, tenant):
    ids = _two_bookings(client, tenant)
    body = {"action": "cancel", "ids": ids, "params": {"reason": "storm"}}
    missing = client.post(tenant.url("/admin/bookings/bulk"), json=body, headers=tenant.headers)
    assert missing.status_code == 400
    assert missing.get_json()["code"] == "idempotency_key_required"
    first = bulk(client, tenant, body, key="bulk-cancel-1")
    replay = bulk(client, tenant, body, key="bulk-cancel-1")
    assert replay.headers.get("Idempotent-Replayed") == "true"
    assert replay.get_json() == first.get_json()
    assert all(i["ok"] for i in first.get_json()["items"])
    reused = bulk(client, tenant, {**body, "ids": ids[:1]}, key="bulk-cancel-1")
    assert reused.status_code == 409


def test_params_are_checked_per_action(client, tenant):
    assert bulk(client, tenant, {"action": "cancel", "ids": [1]}).status_code == 422
    bad = bulk(client, tenant, {"action": "cancel", "ids": [1], "params": {"why": "x"}})
    assert bad.status_code == 422
    assert bulk(client, tenant, {"action": "explode", "ids": [1]}).status_code == 422
    assert bulk(client, tenant, {"action": "move_day", "ids": [1], "params": {}}).status_code == 422
    weird = bulk(client, tenant, {"action": "confirm", "ids": ["1"]})
    assert weird.status_code == 422


def test_move_day_keeps_the_local_time(client, tenant):
    ids = _two_bookings(client, tenant)
    before = _booking(client, tenant, ids[0])
    target = date.fromisoformat(before["starts_at_local"][:10]) + timedelta(days=1)
    resp = bulk(
        client, tenant, {"action": "move_day", "ids": ids[:1], "params": {"date": str(target)}}
    )
    assert resp.get_json()["items"][0]["ok"] is True, resp.get_json()
    after = _booking(client, tenant, ids[0])
    assert after["starts_at_local"][:10] == str(target)
    assert after["starts_at_local"][11:16] == before["starts_at_local"][11:16]


def test_assign_workers_sets_each_crew_and_a_busy_worker_fails_alone(client, tenant):
    ids = _two_bookings(client, tenant)
    worker = make_worker(client, tenant)
    resp = bulk(
        client,
        tenant,
        {"action": "assign_workers", "ids": [*ids, UNKNOWN], "params": {"worker_ids": [worker.id]}},
    )
    items = resp.get_json()["items"]
    assert [i["ok"] for i in items] == [True, True, False], items
    assert items[2]["code"] == "not_found"
    assert all(_booking(client, tenant, i)["worker_ids"] == [worker.id] for i in ids)
    seven = bulk(
        client,
        tenant,
        {"action": "assign_workers", "ids": ids[:1], "params": {"worker_ids": list(range(1, 8))}},
    )
    assert seven.status_code == 422, seven.get_json()


def test_resend_confirmation_needs_a_confirmed_booking(client, tenant):
    ids = _two_bookings(client, tenant)
    bulk(client, tenant, {"action": "confirm", "ids": ids[:1]})
    resp = bulk(client, tenant, {"action": "resend_confirmation", "ids": ids})
    assert [i["ok"] for i in resp.get_json()["items"]] == [True, False]
    assert resp.get_json()["items"][1]["code"] == "invalid_transition"


def test_leads_bulk_status_with_an_unknown_id(client, tenant):
    leads = [make_lead(client, tenant, email=f"l{n}@example.com")["lead_id"] for n in range(2)]
    body = {"action": "status", "ids": [*leads, UNKNOWN], "params": {"status": "CONTACTED"}}
    dry = bulk(client, tenant, {**body, "dry_run": True}, path="/admin/leads/bulk")
    assert [i["ok"] for i in dry.get_json()["items"]] == [True, True, False]
    lead = client.get(tenant.url(f"/admin/leads/{leads[0]}"), headers=tenant.headers).get_json()
    assert lead["lead"]["status"] == "NEW"
    real = bulk(client, tenant, body, path="/admin/leads/bulk")
    assert [i["status"] for i in real.get_json()["items"]] == ["CONTACTED", "CONTACTED", None]
    assert real.get_json()["items"][2]["code"] == "not_found"
    bad = bulk(client, tenant, {**body, "params": {"status": "LOST"}}, path="/admin/leads/bulk")
    assert bad.status_code == 422


def test_another_tenants_ids_are_not_found(client, tenant, other_tenant):
    ids = _two_bookings(client, tenant)
    resp = bulk(client, other_tenant, {"action": "cancel", "ids": ids, "params": {"reason": "x"}})
    assert [i["code"] for i in resp.get_json()["items"]] == ["not_found", "not_found"]
    assert all(_booking(client, tenant, i)["status"] == "PENDING" for i in ids)
    foreign = bulk(client, tenant, {"action": "confirm", "ids": ids}, key=None)
    assert foreign.status_code == 200
    cross = client.post(
        tenant.url("/admin/bookings/bulk"),
        json={"action": "confirm", "ids": ids},
        headers={**other_tenant.headers, "Idempotency-Key": "x"},
    )
    assert cross.status_code == 403


def _worker_team(client, tenant, worker_id):
    resp = client.get(tenant.url(f"/admin/workers/{worker_id}"), headers=tenant.headers)
    return resp.get_json()["team_id"]


def test_workers_move_to_a_team_together_each_audited(client, runtime, tenant):
    from tests.workforce.helpers import add_team, create_worker

    north = add_team(client, tenant, "Team North")
    ids = [create_worker(client, tenant, name=f"Mover {n}").get_json()["id"] for n in range(3)]
    body = {"action": "team", "ids": [*ids, UNKNOWN], "params": {"team_id": north}}
    dry = bulk(client, tenant, {**body, "dry_run": True}, path="/admin/workers/bulk")
    assert [i["ok"] for i in dry.get_json()["items"]] == [True, True, True, False]
    assert {_worker_team(client, tenant, i) for i in ids} != {north}  # the dry run changed none
    real = bulk(client, tenant, body, path="/admin/workers/bulk")
    items = real.get_json()["items"]
    assert [(i["ok"], i["status"]) for i in items[:3]] == [(True, "active")] * 3
    assert items[3]["code"] == "not_found"
    assert {_worker_team(client, tenant, i) for i in ids} == {north}
    with in_tenant(runtime, tenant) as sess:
        actions = list(sess.scalars(select(AuditEntry.action)))
    assert actions.count("worker.update") >= 3 and actions.count("worker.bulk_team") == 1
    # null: no team; an unknown team fails each worker alone and moves nobody
    none = bulk(
        client, tenant, {**body, "ids": ids[:1], "params": {"team_id": None}}, "/admin/workers/bulk"
    )
    assert none.get_json()["items"][0]["ok"] and _worker_team(client, tenant, ids[0]) is None
    unknown = bulk(
        client,
        tenant,
        {**body, "ids": ids[1:], "params": {"team_id": UNKNOWN}},
        "/admin/workers/bulk",
    )
    assert [i["code"] for i in unknown.get_json()["items"]] == ["validation_failed"] * 2
    assert {_worker_team(client, tenant, i) for i in ids[1:]} == {north}
    missing = bulk(client, tenant, {"action": "team", "ids": ids}, path="/admin/workers/bulk")
    assert missing.status_code == 422  # params.team_id is required (null says "no team")


def test_another_tenants_workers_are_not_found_in_bulk(client, tenant, other_tenant):
    from tests.workforce.helpers import add_team, create_worker

    theirs = create_worker(client, other_tenant, name="Theirs").get_json()
    before = _worker_team(client, other_tenant, theirs["id"])
    mine = add_team(client, tenant, "Mine")
    body = {"action": "team", "ids": [theirs["id"]], "params": {"team_id": mine}}
    resp = bulk(client, tenant, body, path="/admin/workers/bulk")  # this tenant has no workers
    assert [i["code"] for i in resp.get_json()["items"]] == ["not_found"]
    assert _worker_team(client, other_tenant, theirs["id"]) == before
    cross = client.post(
        tenant.url("/admin/workers/bulk"),
        json=body,
        headers={**other_tenant.headers, "Idempotency-Key": "x"},
    )
    assert cross.status_code == 403
    assert _worker_team(client, other_tenant, theirs["id"]) == before
