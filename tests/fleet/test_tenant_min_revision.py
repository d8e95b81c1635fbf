"""Expand/contract: tenants below TENANT_MIN_REVISION get 503 ``tenant_migrating``; the rest are
served. The rule reads the cached control-plane row: no SQL per request to decide it."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from controlplane.fleet.scratch import scratch_revision_id, scratch_track
from shared.migrations import TENANT_MIN_REVISION, served_revisions, tenant_head, tenant_track
from tests.support import signup

FIRST, SECOND = scratch_revision_id(1), scratch_revision_id(2)


def _set_revision(rt, tenant_id: str, revision: str | None) -> None:
    with rt.owner_engine.begin() as conn:
        conn.exec_driver_sql(
            "UPDATE public.tenants SET schema_revision = %(r)s WHERE id = %(id)s",
            {"r": revision, "id": tenant_id},
        )
    rt.tenants.bump(tenant_id)


@pytest.fixture()
def served_from_first_drill(fleet_client, tmp_path):
    """The tenant app as code whose track is … → head → drill 1 → drill 2, min = drill 1."""
    track = scratch_track(tmp_path / "track", revisions=2)
    assert track.chain[-3:] == (tenant_head(), FIRST, SECOND)
    tenant_app = fleet_client.application.tenant_app
    tenant_app.extensions["served_revisions"] = served_revisions(FIRST, track)
    return tenant_app


@pytest.mark.parametrize(
    ("revision", "status"),
    [
        (tenant_head(), 503),  # one below the minimum
        (FIRST, 200),  # exactly the minimum
        (SECOND, 200),  # head
        (None, 503),  # unknown: fail closed
        ("from_a_newer_deploy", 200),  # migrated ahead by newer code mid-rollout
    ],
)
def test_revision_rule(fleet_rt, fleet_client, served_from_first_drill, revision, status):
    tenant = signup(fleet_client)
    _set_revision(fleet_rt, tenant.id, revision)
    resp = fleet_client.get(tenant.url("/admin/settings"), headers=tenant.headers)
    assert resp.status_code == status, resp.get_data(as_text=True)
    if status == 503:
        body = resp.get_json()
        assert body["code"] == "tenant_migrating"
        assert resp.headers["Retry-After"] == "30"
        assert resp.mimetype == "application/problem+json"


def test_below_minimum_is_503_while_a_tenant_between_min_and_head_is_served(
    fleet_rt, fleet_client, served_from_first_drill
):
    behind, between = signup(fleet_client), signup(fleet_client)
    _set_revision(fleet_rt, behind.id, tenant_head())
    _set_revision(fleet_rt, between.id, FIRST)
    assert (
        fleet_client.get(behind.url("/admin/settings"), headers=behind.headers).status_code == 503
    )
    ok = fleet_client.get(between.url("/admin/settings"), headers=between.headers)
    assert ok.status_code == 200
    # once the fleet run records its new revision (and bumps it), it is served at once
    _set_revision(fleet_rt, behind.id, SECOND)
    assert (
        fleet_client.get(behind.url("/admin/settings"), headers=behind.headers).status_code == 200
    )


def test_the_decision_costs_no_sql(fleet_rt, fleet_client, served_from_first_drill):
    tenant = signup(fleet_client)
    _set_revision(fleet_rt, tenant.id, tenant_head())
    url = tenant.url("/admin/settings")
    assert fleet_client.get(url, headers=tenant.headers).status_code == 503  # warms the cache
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(fleet_rt.engine, "before_cursor_execute", count)
    try:
        assert fleet_client.get(url, headers=tenant.headers).status_code == 503
    finally:
        event.remove(fleet_rt.engine, "before_cursor_execute", count)
    assert statements == []


def test_code_serves_its_own_minimum_to_head():
    served = served_revisions()
    track = tenant_track()
    assert TENANT_MIN_REVISION in track.chain
    assert served.allowed == frozenset(track.chain[track.chain.index(TENANT_MIN_REVISION) :])
    assert served.serves(track.head)
    with pytest.raises(RuntimeError, match="not in the tenant track"):
        served_revisions("no_such_revision")
