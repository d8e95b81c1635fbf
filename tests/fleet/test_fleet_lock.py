"""One run at a time: the CLI and ``POST /v1/ops/migrations/run`` share one global run lock."""

from __future__ import annotations

import threading

import pytest

from controlplane.fleet.locks import RunInProgress, acquire_run_lock
from controlplane.fleet.plan import MigrateOptions
from controlplane.fleet.scratch import scratch_track
from controlplane.fleet.service import migrate_fleet, wait_for_background_runs
from tests.fleet.conftest import make_tenants, run_rows


def test_two_runs_started_together_one_is_refused(fleet_rt, tmp_path):
    make_tenants(fleet_rt, 2)
    slow = scratch_track(tmp_path / "slow", revisions=1, sleep_ms=300)
    options = MigrateOptions(track_location=slow.location)
    barrier = threading.Barrier(2)
    outcomes: list = []

    def start():
        barrier.wait()
        try:
            outcomes.append(migrate_fleet(fleet_rt, options))
        except RunInProgress as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=start) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    refused = [o for o in outcomes if isinstance(o, RunInProgress)]
    finished = [o for o in outcomes if not isinstance(o, RunInProgress)]
    assert len(refused) == 1 and len(finished) == 1
    assert finished[0].ok and finished[0].succeeded == 2
    assert "already in progress" in refused[0].detail
    assert len(run_rows(fleet_rt)) == 1  # the refused run left no trace


def test_cli_and_api_are_refused_while_a_run_holds_the_lock(
    fleet_rt, cli, fleet_client, operator_headers
):
    make_tenants(fleet_rt, 1)
    lock = acquire_run_lock(fleet_rt)  # what a run in another process holds
    try:
        result = cli("migrate")
        assert result.exit_code == 75
        assert "Refused: A fleet migration run is already in progress" in result.output
        resp = fleet_client.post("/v1/ops/migrations/run", json={}, headers=operator_headers)
        assert resp.status_code == 409
        assert resp.get_json()["code"] == "conflict"
        assert "already in progress" in resp.get_json()["detail"]
        status = fleet_client.get("/v1/ops/migrations", headers=operator_headers).get_json()
        assert status["running"] is True
        with pytest.raises(RunInProgress):
            acquire_run_lock(fleet_rt)
    finally:
        lock.release()
    assert run_rows(fleet_rt) == []
    resp = fleet_client.post("/v1/ops/migrations/run", json={}, headers=operator_headers)
    assert resp.status_code == 202, resp.get_data(as_text=True)
    wait_for_background_runs(timeout=30)
    status = fleet_client.get("/v1/ops/migrations", headers=operator_headers).get_json()
    assert status["running"] is False
    assert status["last_run"]["id"] == resp.get_json()["run_id"]
    assert status["last_run"]["status"] == "succeeded"
    assert status["last_run"]["trigger"] == "operator:ops"


def test_cli_is_refused_while_an_api_run_is_in_flight(
    fleet_rt, cli, fleet_client, tmp_path, operator_headers, monkeypatch
):
    make_tenants(fleet_rt, 2)
    slow = scratch_track(tmp_path / "slow", revisions=1, sleep_ms=300)
    # the endpoint runs the code's own track; point it at the slow drill for this test
    monkeypatch.setattr(MigrateOptions, "track", property(lambda self: slow))
    resp = fleet_client.post("/v1/ops/migrations/run", json={}, headers=operator_headers)
    assert resp.status_code == 202
    result = cli("migrate", "--script-location", slow.location)
    assert result.exit_code == 75, result.output
    wait_for_background_runs(timeout=30)
    (run,) = run_rows(fleet_rt)
    assert (run.status, run.succeeded) == ("succeeded", 2)
