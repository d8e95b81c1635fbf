"""``GET /v1/ops/migrations`` and ``/readyz`` report the fleet; tenants never fail readiness."""

from __future__ import annotations

from controlplane.fleet.plan import MigrateOptions
from controlplane.fleet.scratch import scratch_column, scratch_revision_id
from controlplane.fleet.service import migrate_fleet
from shared.migrations import TENANT_MIN_REVISION, tenant_head
from tests.fleet.conftest import make_tenants


def _break(rt, schema: str) -> None:
    with rt.owner_engine.begin() as conn:
        conn.exec_driver_sql(f'ALTER TABLE "{schema}".audit_log ADD COLUMN {scratch_column(1)} int')


def test_operator_view_shows_revisions_last_run_and_failures(
    fleet_rt, fleet_client, operator_headers, drill_track
):
    tenants = make_tenants(fleet_rt, 3)
    _break(fleet_rt, tenants[0]["schema"])
    report = migrate_fleet(fleet_rt, MigrateOptions(track_location=drill_track.location))
    assert report.failed == 1

    resp = fleet_client.get("/v1/ops/migrations", headers=operator_headers)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    body = resp.get_json()
    assert body["head"] == tenant_head() and body["min_revision"] == TENANT_MIN_REVISION
    assert body["public"]["revision"] == body["public"]["head"]
    assert body["running"] is False
    counts = {r["revision"]: r["tenants"] for r in body["revisions"]}
    assert counts == {tenant_head(): 1, scratch_revision_id(1): 2}
    last = body["last_run"]
    assert last["id"] == str(report.run_id)
    assert (last["status"], last["planned"], last["succeeded"], last["failed"]) == (
        "failed",
        3,
        2,
        1,
    )
    assert body["failed"] == 1
    (failure,) = body["failures"]
    assert failure["slug"] == tenants[0]["slug"]
    assert failure["schema_name"] == tenants[0]["schema"]
    assert "DuplicateColumn" in failure["error"]
    assert failure["from_revision"] == tenant_head()
    assert failure["to_revision"] == scratch_revision_id(1)

    ready = fleet_client.get("/readyz", headers=operator_headers)
    assert ready.status_code == 200, ready.get_data(as_text=True)
    assert ready.get_json()["tenants"]["failed"] == 1
    assert ready.get_json()["tenants"]["migration_failed"] == 1

    # fixed and re-run: the failure is gone from both views
    with fleet_rt.owner_engine.begin() as conn:
        conn.exec_driver_sql(
            f'ALTER TABLE "{tenants[0]["schema"]}".audit_log DROP COLUMN {scratch_column(1)}'
        )
    assert migrate_fleet(fleet_rt, MigrateOptions(track_location=drill_track.location)).ok
    body = fleet_client.get("/v1/ops/migrations", headers=operator_headers).get_json()
    assert body["failed"] == 0 and body["failures"] == []
    assert (
        fleet_client.get("/readyz", headers=operator_headers).get_json()["tenants"]["failed"] == 0
    )


def test_readyz_reports_tenants_behind_without_failing(fleet_rt, fleet_client, operator_headers):
    tenants = make_tenants(fleet_rt, 2)
    with fleet_rt.owner_engine.begin() as conn:
        conn.exec_driver_sql(
            f"UPDATE public.tenants SET schema_revision = 'old' WHERE id = '{tenants[0]['id']}'"
        )
    resp = fleet_client.get("/readyz", headers=operator_headers)
    assert resp.status_code == 200
    assert resp.get_json()["tenants"] == {
        "at_head": 1,
        "behind": 1,
        "failed": 0,
        "provision_failed": 0,
        "migration_failed": 0,
    }


def test_migration_endpoints_are_for_operators(fleet_client, tenant_token_headers=None):
    assert fleet_client.get("/v1/ops/migrations").status_code == 401
    assert fleet_client.post("/v1/ops/migrations/run", json={}).status_code == 401


def test_run_endpoint_validates_and_404s_unknown_tenant(fleet_rt, fleet_client, operator_headers):
    bad = fleet_client.post(
        "/v1/ops/migrations/run", json={"parallel": 0}, headers=operator_headers
    )
    assert bad.status_code == 422
    assert bad.get_json()["errors"][0]["field"] == "parallel"
    resp = fleet_client.post(
        "/v1/ops/migrations/run", json={"tenant": "nobody-here"}, headers=operator_headers
    )
    assert resp.status_code == 404
    # the refused run released the lock and left no run behind
    ok = fleet_client.post("/v1/ops/migrations/run", json={}, headers=operator_headers)
    assert ok.status_code == 202


def test_run_endpoint_parallel_bounds(fleet_rt, fleet_client, operator_headers):
    from controlplane.fleet.service import wait_for_background_runs

    too_many = fleet_client.post(
        "/v1/ops/migrations/run", json={"parallel": 17}, headers=operator_headers
    )
    assert too_many.status_code == 422
    bad_timeout = fleet_client.post(
        "/v1/ops/migrations/run", json={"lock_timeout": "0s"}, headers=operator_headers
    )
    assert bad_timeout.status_code == 422
    assert bad_timeout.get_json()["errors"][0]["field"] == "lock_timeout"
    most = fleet_client.post(
        "/v1/ops/migrations/run",
        json={"parallel": 16, "lock_timeout": "1ms"},
        headers=operator_headers,
    )
    assert most.status_code == 202
    wait_for_background_runs(timeout=30)
