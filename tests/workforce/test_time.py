"""Time tracking: the state machine, segments, one entry per booking, the overrun boundary."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from tenantapp.timetracking import service as time_service
from tenantapp.timetracking.models import OVERRUN_REASONS
from tests.support import ApiClient
from tests.workforce.helpers import add_team, make_booking, make_worker

T0 = datetime(2030, 1, 7, 16, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


@pytest.fixture()
def clock(monkeypatch):
    clock = Clock(T0)
    monkeypatch.setattr(time_service, "_now", clock)
    return clock


def _act(client, tenant, booking_id, action, headers=None, prefix="/admin/bookings", **body):
    return client.post(
        tenant.url(f"{prefix}/{booking_id}/time/{action}"),
        json=body,
        headers=headers or tenant.headers,
    )


def _summary(client, tenant, booking_id):
    resp = client.get(tenant.url(f"/admin/bookings/{booking_id}/time"), headers=tenant.headers)
    assert resp.status_code == 200
    return resp.get_json()


def test_not_started_summary(client, tenant, booking):
    s = _summary(client, tenant, booking["id"])
    assert s["state"] == "NOT_STARTED" and s["segments"] == []
    assert s["planned_seconds"] == booking["duration_minutes"] * 60 == 180 * 60
    assert s["effective_seconds"] == 0 and s["delta_seconds"] == -180 * 60 and s["ratio"] == 0


def test_start_pause_resume_finish_with_segments(client, tenant, booking, clock):
    bid = booking["id"]
    assert _act(client, tenant, bid, "start").get_json()["state"] == "RUNNING"
    clock.advance(minutes=60)
    paused = _act(client, tenant, bid, "pause").get_json()
    assert paused["state"] == "PAUSED" and paused["effective_seconds"] == 3600
    clock.advance(minutes=30)  # the pause does not count
    assert _summary(client, tenant, bid)["effective_seconds"] == 3600
    assert _act(client, tenant, bid, "resume").get_json()["state"] == "RUNNING"
    clock.advance(minutes=90)
    running = _summary(client, tenant, bid)
    assert running["effective_seconds"] == 150 * 60  # the open segment counts up to now
    done = _act(client, tenant, bid, "finish", note="All good")
    assert done.status_code == 200
    s = done.get_json()
    assert s["state"] == "FINISHED" and s["note"] == "All good" and s["overrun_reason"] is None
    assert s["effective_seconds"] == 150 * 60 and s["delta_seconds"] == -30 * 60
    assert s["ratio"] == round(150 / 180, 4) and s["overrun"] is False
    assert [(g["started_at"], g["ended_at"]) for g in s["segments"]] == [
        ("2030-01-07T16:00:00Z", "2030-01-07T17:00:00Z"),
        ("2030-01-07T17:30:00Z", "2030-01-07T19:00:00Z"),
    ]
    assert s["started_at"] == "2030-01-07T16:00:00Z" and s["finished_at"] == "2030-01-07T19:00:00Z"
    clock.advance(hours=5)
    assert _summary(client, tenant, bid)["effective_seconds"] == 150 * 60  # frozen


def test_start_while_running_is_a_no_op(client, tenant, booking, clock):
    first = _act(client, tenant, booking["id"], "start").get_json()
    clock.advance(minutes=10)
    again = _act(client, tenant, booking["id"], "start")
    assert again.status_code == 200
    s = again.get_json()
    assert s["started_at"] == first["started_at"] and len(s["segments"]) == 1
    assert s["effective_seconds"] == 600


@pytest.mark.parametrize(
    ("setup", "action"),
    [
        ([], "pause"),
        ([], "resume"),
        ([], "finish"),
        (["start"], "resume"),
        (["start", "pause"], "pause"),
        (["start", "pause"], "start"),
        (["start", "finish"], "start"),
        (["start", "finish"], "pause"),
        (["start", "finish"], "resume"),
        (["start", "finish"], "finish"),
    ],
)
def test_invalid_transitions_are_409(client, tenant, booking, clock, setup, action):
    for step in setup:
        assert _act(client, tenant, booking["id"], step).status_code == 200
    resp = _act(client, tenant, booking["id"], action)
    assert resp.status_code == 409 and resp.get_json()["code"] == "invalid_transition"


def test_finish_from_paused(client, tenant, booking, clock):
    _act(client, tenant, booking["id"], "start")
    clock.advance(minutes=20)
    _act(client, tenant, booking["id"], "pause")
    clock.advance(minutes=20)
    s = _act(client, tenant, booking["id"], "finish").get_json()
    assert s["state"] == "FINISHED" and s["effective_seconds"] == 1200


def _run_for(client, tenant, booking_id, clock, seconds: float, **finish):
    _act(client, tenant, booking_id, "start")
    clock.advance(seconds=seconds)
    return _act(client, tenant, booking_id, "finish", **finish)


def test_exactly_1_2_times_planned_needs_no_reason(client, tenant, booking, clock):
    planned = booking["duration_minutes"] * 60
    resp = _run_for(client, tenant, booking["id"], clock, planned * 1.2)
    assert resp.status_code == 200, resp.get_json()
    s = resp.get_json()
    assert s["effective_seconds"] == 216 * 60 and s["ratio"] == 1.2 and s["overrun"] is False
    assert s["delta_seconds"] == 36 * 60


def test_just_above_1_2_times_planned_needs_a_reason(client, tenant, booking, clock):
    planned = booking["duration_minutes"] * 60
    refused = _run_for(client, tenant, booking["id"], clock, planned * 1.2 + 1)
    assert refused.status_code == 422
    assert refused.get_json()["errors"][0]["field"] == "overrun_reason"
    still = _summary(client, tenant, booking["id"])
    assert still["state"] == "RUNNING" and still["segments"][0]["ended_at"] is None  # rolled back
    bad = _act(client, tenant, booking["id"], "finish", overrun_reason="TRAFFIC")
    assert bad.status_code == 422
    ok = _act(client, tenant, booking["id"], "finish", overrun_reason="EXTRA_DIRT", note="Oven")
    assert ok.status_code == 200
    s = ok.get_json()
    assert s["overrun"] is True and s["overrun_reason"] == "EXTRA_DIRT" and s["note"] == "Oven"


def test_every_overrun_reason_is_accepted(client, tenant, clock):
    assert len(OVERRUN_REASONS) == 7
    for reason in OVERRUN_REASONS:
        job = make_booking(client, tenant)
        resp = _run_for(client, tenant, job["id"], clock, 10 * 3600, overrun_reason=reason)
        assert resp.status_code == 200 and resp.get_json()["overrun_reason"] == reason


def test_concurrent_double_start_yields_one_entry(client, tenant, booking, wsgi_app, rt):
    barrier = threading.Barrier(6)
    codes = []

    def start():
        own = ApiClient(wsgi_app)
        barrier.wait()
        codes.append(_act(own, tenant, booking["id"], "start").status_code)

    threads = [threading.Thread(target=start) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert codes == [200] * 6
    schema = rt.tenants.by_slug(tenant.slug).schema_name
    with rt.engine.connect() as conn:
        entries = conn.scalar(
            text(f'SELECT count(*) FROM "{schema}".time_entries WHERE booking_id = :b'),
            {"b": booking["id"]},
        )
        segments = conn.scalar(text(f'SELECT count(*) FROM "{schema}".time_segments'))
    assert entries == 1 and segments == 1
    assert _summary(client, tenant, booking["id"])["state"] == "RUNNING"


def test_cancelled_and_unknown_bookings(client, tenant, booking):
    client.post(
        tenant.url(f"/admin/bookings/{booking['id']}/cancel"), json={}, headers=tenant.headers
    )
    assert _act(client, tenant, booking["id"], "start").status_code == 409
    assert _act(client, tenant, 999_999, "start").status_code == 404
    assert (
        client.get(tenant.url("/admin/bookings/999999/time"), headers=tenant.headers).status_code
        == 404
    )


def test_time_writes_are_audited(client, tenant, booking, clock):
    _act(client, tenant, booking["id"], "start")
    entries = client.get(tenant.url("/admin/audit"), headers=tenant.headers).get_json()["items"]
    hit = next(e for e in entries if e["action"] == "time.start")
    assert hit["entity_id"] == str(booking["id"]) and hit["after"] == {
        "state": "RUNNING",
        "worker_id": None,
    }


def test_workers_track_time_on_their_visible_jobs(client, tenant, booking, clock):
    worker = make_worker(client, tenant)
    outsider = make_worker(client, tenant, team_id=add_team(client, tenant))
    prefix = "/worker/jobs"
    assert _act(client, tenant, booking["id"], "start", outsider.headers, prefix).status_code == 404
    started = _act(client, tenant, booking["id"], "start", worker.headers, prefix)
    assert started.status_code == 200
    assert started.get_json()["segments"][0]["by"] == f"worker:{worker.id}"
    clock.advance(minutes=30)
    assert _act(client, tenant, booking["id"], "pause", worker.headers, prefix).status_code == 200
    assert _act(client, tenant, booking["id"], "resume", worker.headers, prefix).status_code == 200
    clock.advance(minutes=30)
    got = client.get(tenant.url(f"{prefix}/{booking['id']}/time"), headers=worker.headers)
    assert got.get_json()["effective_seconds"] == 3600
    assert (
        client.get(tenant.url(f"{prefix}/{booking['id']}/time"), headers=outsider.headers)
    ).status_code == 404
    fin = _act(client, tenant, booking["id"], "finish", worker.headers, prefix, note="ok")
    assert fin.status_code == 200 and fin.get_json()["state"] == "FINISHED"
    # staff see the same entry
    assert _summary(client, tenant, booking["id"])["state"] == "FINISHED"


def test_time_endpoints_are_tenant_isolated(client, tenant, other_tenant, clock):
    job_b = make_booking(client, other_tenant)
    for action in ("start", "pause", "resume", "finish"):
        foreign = _act(client, other_tenant, job_b["id"], action, tenant.headers)
        assert foreign.status_code == 403
        assert _act(client, tenant, job_b["id"], action).status_code == 404
    path = f"/admin/bookings/{job_b['id']}/time"
    assert client.get(other_tenant.url(path), headers=tenant.headers).status_code == 403
    assert client.get(tenant.url(path), headers=tenant.headers).status_code == 404
    assert _summary(client, other_tenant, job_b["id"])["state"] == "NOT_STARTED"
