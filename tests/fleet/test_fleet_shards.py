"""Fleet migrations across shards: each tenant migrates on its own shard's database."""

from __future__ import annotations

from sqlalchemy import text

from controlplane.fleet.scratch import scratch_column, scratch_revision_id
from shared.migrations import TENANT_LOCK_NAMESPACE, tenant_head
from shared.tenancy import version_key
from tests.fleet.conftest import (
    make_shard_tenants,
    recorded_revision,
    result_rows,
    run_rows,
    shard_has_column,
    shard_version,
)

DRILL = scratch_revision_id(1)
COLUMN = scratch_column(1)


def _fleet(rt):
    """Two tenants on ``default`` and two on ``east``."""
    return make_shard_tenants(rt, 2, "default") + make_shard_tenants(rt, 2, "east")


def test_tenants_on_both_shards_migrate_in_one_parallel_run(
    sharded_fleet_rt, drill_track, sharded_cli
):
    rt = sharded_fleet_rt
    fleet = _fleet(rt)
    versions_before = {t["id"]: rt.redis.get(version_key(t["id"])) for t in fleet}
    result = sharded_cli("migrate", "--parallel", "2", "--script-location", drill_track.location)
    assert result.exit_code == 0, result.output
    assert "4 migrated, 0 failed, 0 already at head" in result.output
    rows = {r.schema_name: r for r in result_rows(rt)}  # results live in the control plane
    assert set(rows) == {t["schema"] for t in fleet}
    for t in fleet:
        row = rows[t["schema"]]
        assert (row.status, row.from_revision, row.to_revision) == (
            "succeeded",
            tenant_head(),
            DRILL,
        )
        assert shard_version(rt, t["shard"], t["schema"]) == DRILL
        assert shard_has_column(rt, t["shard"], t["schema"], "audit_log", COLUMN)
        assert recorded_revision(rt, t["id"]) == DRILL
        assert rt.redis.get(version_key(t["id"])) != versions_before[t["id"]]
    # each schema lives on one database only: the other shard has no such schema
    for t in fleet:
        other = "default" if t["shard"] == "east" else "east"
        with rt.shard_owner_engine(other).connect() as conn:
            assert conn.scalar(text("SELECT to_regnamespace(:s)"), {"s": t["schema"]}) is None
    (run,) = run_rows(rt)
    assert (run.status, run.planned, run.succeeded, run.failed) == ("succeeded", 4, 4, 0)

    again = sharded_cli("migrate", "--script-location", drill_track.location)
    assert again.exit_code == 0, again.output
    assert "0 migrated, 0 failed, 4 already at head" in again.output


def test_a_failing_tenant_on_east_does_not_stop_default(sharded_fleet_rt, drill_track, sharded_cli):
    rt = sharded_fleet_rt
    fleet = _fleet(rt)
    broken = fleet[2]
    assert broken["shard"] == "east"
    with rt.shard_owner_engine("east").begin() as conn:  # the drill's column already exists there
        conn.exec_driver_sql(f'ALTER TABLE "{broken["schema"]}".audit_log ADD COLUMN {COLUMN} int')
    result = sharded_cli("migrate", "--parallel", "2", "--script-location", drill_track.location)
    assert result.exit_code == 1, result.output
    assert f"FAILED {broken['slug']}" in result.output
    rows = {r.schema_name: r for r in result_rows(rt)}
    failed = rows[broken["schema"]]
    assert failed.status == "failed" and "DuplicateColumn" in failed.error
    assert shard_version(rt, "east", broken["schema"]) == tenant_head()
    assert recorded_revision(rt, broken["id"]) == tenant_head()
    for t in fleet:
        if t is not broken:
            assert rows[t["schema"]].status == "succeeded"
            assert shard_version(rt, t["shard"], t["schema"]) == DRILL
    (run,) = run_rows(rt)
    assert (run.status, run.succeeded, run.failed) == ("failed", 3, 1)


def test_the_tenant_lock_is_taken_on_the_tenants_own_shard(
    sharded_fleet_rt, drill_track, sharded_cli
):
    rt = sharded_fleet_rt
    (east,) = make_shard_tenants(rt, 1, "east")
    lock = "SELECT pg_advisory_xact_lock(:ns, hashtext(:s))"  # held until rollback
    # The same lock on the default database does not block a tenant that lives on east...
    with rt.owner_engine.connect() as conn:
        conn.execute(text(lock), {"ns": TENANT_LOCK_NAMESPACE, "s": east["schema"]})
        ok = sharded_cli(
            "migrate", "--lock-timeout", "200ms", "--script-location", drill_track.location
        )
        conn.rollback()
    assert ok.exit_code == 0, ok.output
    assert shard_version(rt, "east", east["schema"]) == DRILL
    # ...while holding it on east does (a move or a backup of that tenant).
    (second,) = make_shard_tenants(rt, 1, "east")
    with rt.shard_owner_engine("east").connect() as conn:
        conn.execute(text(lock), {"ns": TENANT_LOCK_NAMESPACE, "s": second["schema"]})
        busy = sharded_cli(
            "migrate", "--lock-timeout", "200ms", "--script-location", drill_track.location
        )
        conn.rollback()
    assert busy.exit_code == 1, busy.output
    row = {r.schema_name: r for r in result_rows(rt)}[second["schema"]]
    assert row.status == "failed" and "advisory lock is held" in row.error
    assert shard_version(rt, "east", second["schema"]) == tenant_head()
    resumed = sharded_cli("migrate", "--script-location", drill_track.location)
    assert resumed.exit_code == 0, resumed.output
    assert "1 migrated, 0 failed, 1 already at head" in resumed.output
    assert shard_version(rt, "east", second["schema"]) == DRILL


def test_dry_run_and_sql_list_both_shards_and_change_nothing(
    sharded_fleet_rt, drill_track, sharded_cli
):
    rt = sharded_fleet_rt
    fleet = _fleet(rt)
    dry = sharded_cli("migrate", "--dry-run", "--script-location", drill_track.location)
    assert dry.exit_code == 0, dry.output
    assert "0 at head, 4 to migrate" in dry.output
    assert "shard default: 0 at head, 2 to migrate" in dry.output
    assert "shard east: 0 at head, 2 to migrate" in dry.output
    east_section = dry.output.split("shard east:")[1]
    for t in fleet:
        assert (t["slug"] in east_section) == (t["shard"] == "east")
    sql = sharded_cli("migrate", "--sql", "--script-location", drill_track.location)
    assert sql.exit_code == 0, sql.output
    assert sql.output.count(f"ADD COLUMN {COLUMN}") == 4
    for t in fleet:
        assert f"({t['schema']}) on shard {t['shard']}" in sql.output
        assert shard_version(rt, t["shard"], t["schema"]) == tenant_head()
    assert run_rows(rt) == []


def test_tenant_option_reaches_a_tenant_on_east(sharded_fleet_rt, drill_track, sharded_cli):
    rt = sharded_fleet_rt
    fleet = _fleet(rt)
    target = fleet[3]
    result = sharded_cli(
        "migrate", "--tenant", target["slug"], "--script-location", drill_track.location
    )
    assert result.exit_code == 0, result.output
    assert "1 migrated" in result.output
    for t in fleet:
        expected = DRILL if t is target else tenant_head()
        assert shard_version(rt, t["shard"], t["schema"]) == expected


def test_a_tenant_on_a_shard_this_process_does_not_know_is_a_failure_not_a_skip(
    sharded_fleet_rt, drill_track, sharded_cli
):
    rt = sharded_fleet_rt
    fleet = _fleet(rt)
    with rt.owner_engine.begin() as conn:
        conn.execute(
            text("UPDATE public.tenants SET shard = 'west' WHERE id = :id"), {"id": fleet[0]["id"]}
        )
    dry = sharded_cli("migrate", "--dry-run", "--script-location", drill_track.location)
    assert "shard west: 0 at head, 1 to migrate" in dry.output
    result = sharded_cli("migrate", "--script-location", drill_track.location)
    assert result.exit_code == 1, result.output
    assert "3 migrated, 1 failed" in result.output
    row = {r.schema_name: r for r in result_rows(rt)}[fleet[0]["schema"]]
    assert row.status == "failed" and "west" in row.error


def test_a_tenant_moved_after_the_plan_is_not_recorded_at_head(sharded_fleet_rt, drill_track):
    from controlplane.fleet.plan import MigrateOptions
    from controlplane.fleet.service import migrate_fleet

    rt = sharded_fleet_rt
    fleet = _fleet(rt)
    on_default, on_east = fleet[0], fleet[2]

    def flip_rows(_plan):  # what a move's flip does to the control-plane row, mid-run
        with rt.owner_engine.begin() as conn:
            for t, shard in ((on_default, "east"), (on_east, "default")):
                conn.execute(
                    text("UPDATE public.tenants SET shard = :shard WHERE id = :id"),
                    {"shard": shard, "id": t["id"]},
                )

    report = migrate_fleet(
        rt, MigrateOptions(track_location=drill_track.location), on_plan=flip_rows
    )
    assert (report.succeeded, report.failed) == (2, 2)
    rows = {r.schema_name: r for r in result_rows(rt)}
    for t in (on_default, on_east):
        row = rows[t["schema"]]
        assert row.status == "failed" and "left shard" in row.error, row.error
        assert recorded_revision(rt, t["id"]) == tenant_head()
    # on default the DDL rolled back with the control-plane check; the east copy (about to be
    # dropped by the move) was migrated, but the control plane never claims it
    assert shard_version(rt, "default", on_default["schema"]) == tenant_head()
    assert shard_version(rt, "east", on_east["schema"]) == DRILL
