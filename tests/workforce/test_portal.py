"""Worker portal: which jobs a worker sees, in which order, and dispatch assignment."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from tenantapp.portal import service as portal_service
from tests.workforce.helpers import add_team, assign, make_booking, make_worker


def _job_ids(client, tenant, worker, query: str = "") -> list[int]:
    resp = client.get(tenant.url(f"/worker/jobs{query}"), headers=worker.headers)
    assert resp.status_code == 200, resp.get_json()
    return [j["id"] for j in resp.get_json()["items"]]


def test_unassigned_team_jobs_are_visible_to_the_team_only(client, tenant):
    team_b = add_team(client, tenant)
    x = make_worker(client, tenant)  # default team
    y = make_worker(client, tenant, team_id=team_b)
    job = make_booking(client, tenant)
    assert _job_ids(client, tenant, x) == [job["id"]]
    assert _job_ids(client, tenant, y) == []
    assert client.get(tenant.url(f"/worker/jobs/{job['id']}"), headers=y.headers).status_code == 404
    one = client.get(tenant.url(f"/worker/jobs/{job['id']}"), headers=x.headers)
    assert one.status_code == 200
    body = one.get_json()
    assert body["assigned_to_me"] is False and body["customer_name"] == "Pat Customer"
    assert "total_cents" not in body and "deposit" not in body and "risk" not in body


def test_team_b_job_is_invisible_to_team_a(client, tenant):
    team_b = add_team(client, tenant)
    x = make_worker(client, tenant)
    y = make_worker(client, tenant, team_id=team_b)
    day = make_booking(client, tenant)["starts_at"][:10]
    # same slot again: the default team is busy, so team B takes it
    second = make_booking(client, tenant, day=date.fromisoformat(day), hhmm="09:00")
    assert second["team_id"] == team_b
    assert second["id"] in _job_ids(client, tenant, y)
    assert second["id"] not in _job_ids(client, tenant, x)
    hidden = client.get(tenant.url(f"/worker/jobs/{second['id']}"), headers=x.headers)
    assert hidden.status_code == 404


def test_assigned_jobs_go_to_the_worker_whatever_the_team(client, tenant):
    team_b = add_team(client, tenant)
    x = make_worker(client, tenant)
    y = make_worker(client, tenant, team_id=team_b)
    job = make_booking(client, tenant)
    resp = assign(client, tenant, job["id"], y.id)
    assert resp.status_code == 200 and resp.get_json()["worker_id"] == y.id
    assert resp.get_json()["team_id"] == job["team_id"]  # the booking keeps its team
    assert _job_ids(client, tenant, y) == [job["id"]]
    assert _job_ids(client, tenant, x) == []  # assigned to someone else now
    mine = client.get(tenant.url(f"/worker/jobs/{job['id']}"), headers=y.headers).get_json()
    assert mine["assigned_to_me"] is True
    # unassigning gives it back to the team
    assert assign(client, tenant, job["id"], None).get_json()["worker_id"] is None
    assert _job_ids(client, tenant, x) == [job["id"]] and _job_ids(client, tenant, y) == []


def test_assign_rules(client, tenant):
    w = make_worker(client, tenant)
    job = make_booking(client, tenant)
    unknown = assign(client, tenant, job["id"], 999_999)
    assert unknown.status_code == 422 and unknown.get_json()["errors"][0]["field"] == "worker_id"
    client.patch(
        tenant.url(f"/admin/workers/{w.id}"), json={"active": False}, headers=tenant.headers
    )
    assert assign(client, tenant, job["id"], w.id).status_code == 422
    assert assign(client, tenant, 999_999, None).status_code == 404
    missing = client.post(
        tenant.url(f"/admin/bookings/{job['id']}/assign"), json={}, headers=tenant.headers
    )
    assert missing.status_code == 422
    client.post(tenant.url(f"/admin/bookings/{job['id']}/cancel"), json={}, headers=tenant.headers)
    assert assign(client, tenant, job["id"], None).status_code == 409


def test_assignment_is_audited(client, tenant):
    w = make_worker(client, tenant)
    job = make_booking(client, tenant)
    assign(client, tenant, job["id"], w.id)
    entries = client.get(tenant.url("/admin/audit"), headers=tenant.headers).get_json()["items"]
    hit = next(e for e in entries if e["action"] == "booking.assign")
    assert hit["entity_id"] == str(job["id"]) and hit["after"]["worker_ids"] == [w.id]


def test_cancelled_jobs_are_hidden_and_done_jobs_shown(client, tenant, worker):
    cancelled = make_booking(client, tenant)
    done = make_booking(client, tenant)
    client.post(
        tenant.url(f"/admin/bookings/{cancelled['id']}/cancel"), json={}, headers=tenant.headers
    )
    for action in ("confirm", "complete"):
        resp = client.post(
            tenant.url(f"/admin/bookings/{done['id']}/{action}"), headers=tenant.headers
        )
        assert resp.status_code == 200, resp.get_json()
    assert _job_ids(client, tenant, worker) == [done["id"]]
    gone = client.get(tenant.url(f"/worker/jobs/{cancelled['id']}"), headers=worker.headers)
    assert gone.status_code == 404
    shown = client.get(tenant.url(f"/worker/jobs/{done['id']}"), headers=worker.headers)
    assert shown.get_json()["status"] == "DONE"


def test_upcoming_first_soonest_then_past_most_recent(client, tenant, worker, monkeypatch):
    jobs = [make_booking(client, tenant) for _ in range(4)]
    starts = [datetime.fromisoformat(j["starts_at"]) for j in jobs]
    assert starts == sorted(starts)
    # the clock between the 2nd and 3rd start: jobs 3, 4 upcoming; 2, 1 past
    monkeypatch.setattr(portal_service, "_now", lambda: starts[1] + timedelta(minutes=1))
    expected = [jobs[2]["id"], jobs[3]["id"], jobs[1]["id"], jobs[0]["id"]]
    assert _job_ids(client, tenant, worker) == expected
    # a job starting exactly now counts as upcoming
    monkeypatch.setattr(portal_service, "_now", lambda: starts[1])
    assert _job_ids(client, tenant, worker)[:3] == [jobs[1]["id"], jobs[2]["id"], jobs[3]["id"]]
    # paging one by one walks the same order across the upcoming/past boundary
    monkeypatch.setattr(portal_service, "_now", lambda: starts[1] + timedelta(minutes=1))
    seen, cursor = [], None
    for _ in range(5):
        query = "?limit=1" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(tenant.url(f"/worker/jobs{query}"), headers=worker.headers).get_json()
        seen += [j["id"] for j in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == expected
    bad = client.get(tenant.url("/worker/jobs?cursor=nonsense"), headers=worker.headers)
    assert bad.status_code == 422


def test_worker_of_one_tenant_cannot_see_or_touch_anothers_jobs(client, tenant, other_tenant):
    a = make_worker(client, tenant)
    b = make_worker(client, other_tenant)
    job_b = make_booking(client, other_tenant)
    assert _job_ids(client, other_tenant, b) == [job_b["id"]]
    assert _job_ids(client, tenant, a) == []
    for path in ("", "/checklist", "/time"):
        # A's token under B's slug → 403; B's id under A's slug with A's token → 404
        assert (
            client.get(other_tenant.url(f"/worker/jobs/{job_b['id']}{path}"), headers=a.headers)
        ).status_code == 403
        assert (
            client.get(tenant.url(f"/worker/jobs/{job_b['id']}{path}"), headers=a.headers)
        ).status_code == 404
    for path in ("/checklist/init", "/checklist/complete", "/time/start", "/time/finish"):
        foreign = client.post(
            other_tenant.url(f"/worker/jobs/{job_b['id']}{path}"), json={}, headers=a.headers
        )
        assert foreign.status_code == 403 and foreign.get_json()["code"] == "tenant_mismatch"
        own_slug = client.post(
            tenant.url(f"/worker/jobs/{job_b['id']}{path}"), json={}, headers=a.headers
        )
        assert own_slug.status_code == 404
    # nothing was started in tenant B
    time_b = client.get(other_tenant.url(f"/worker/jobs/{job_b['id']}/time"), headers=b.headers)
    assert time_b.get_json()["state"] == "NOT_STARTED"


def test_assign_is_tenant_isolated(client, tenant, other_tenant):
    wa = make_worker(client, tenant)
    job_b = make_booking(client, other_tenant)
    foreign = client.post(
        other_tenant.url(f"/admin/bookings/{job_b['id']}/assign"),
        json={"worker_id": None},
        headers=tenant.headers,
    )
    assert foreign.status_code == 403
    own_slug = assign(client, tenant, job_b["id"], wa.id)
    assert own_slug.status_code == 404
    # B cannot assign A's worker id (it does not exist in B)
    cross = assign(client, other_tenant, job_b["id"], wa.id)
    assert cross.status_code == 422
