"""``flask tenants migrate``: every tenant to head, one row per tenant, failures isolated."""

from __future__ import annotations

import threading

from controlplane.fleet.scratch import scratch_column, scratch_revision_id
from shared.migrations import TENANT_LOCK_NAMESPACE, public_head, tenant_head
from shared.tenancy import version_key
from tests.fleet.conftest import (
    has_column,
    recorded_revision,
    result_rows,
    run_rows,
    schema_version,
)

DRILL = scratch_revision_id(1)
COLUMN = scratch_column(1)


def test_migrate_takes_every_tenant_to_head_in_parallel(fleet_rt, tenants, drill_track, cli):
    versions_before = {t["id"]: fleet_rt.redis.get(version_key(t["id"])) for t in tenants}
    result = cli("migrate", "--parallel", "2", "--script-location", drill_track.location)
    assert result.exit_code == 0, result.output
    assert f"{len(tenants)} migrated, 0 failed, 0 already at head" in result.output
    rows = result_rows(fleet_rt)
    assert len(rows) == len(tenants)
    assert {r.schema_name for r in rows} == {t["schema"] for t in tenants}
    for row in rows:
        assert row.status == "succeeded"
        assert (row.from_revision, row.to_revision) == (tenant_head(), DRILL)
        assert row.duration_ms is not None and row.duration_ms >= 0
        assert row.finished_at is not None and row.error is None
    for t in tenants:
        assert schema_version(fleet_rt, t["schema"]) == DRILL
        assert has_column(fleet_rt, t["schema"], "audit_log", COLUMN)
        assert recorded_revision(fleet_rt, t["id"]) == DRILL
        # the cached control-plane row is invalidated in every process
        assert fleet_rt.redis.get(version_key(t["id"])) != versions_before[t["id"]]
    (run,) = run_rows(fleet_rt)
    assert (run.status, run.planned, run.succeeded, run.failed) == ("succeeded", 4, 4, 0)


def test_second_run_skips_tenants_at_head(fleet_rt, tenants, drill_track, cli):
    assert cli("migrate", "--script-location", drill_track.location).exit_code == 0
    result = cli("migrate", "--script-location", drill_track.location)
    assert result.exit_code == 0, result.output
    assert f"0 migrated, 0 failed, {len(tenants)} already at head" in result.output
    last = run_rows(fleet_rt)[-1]
    assert (last.planned, last.at_head) == (0, len(tenants))
    assert result_rows(fleet_rt, last.id) == []


def test_failing_tenant_does_not_stop_the_others(fleet_rt, tenants, drill_track, cli):
    broken = tenants[1]
    with fleet_rt.owner_engine.begin() as conn:  # the drill's column already exists there
        conn.exec_driver_sql(f'ALTER TABLE "{broken["schema"]}".audit_log ADD COLUMN {COLUMN} int')
    result = cli("migrate", "--parallel", "2", "--script-location", drill_track.location)
    assert result.exit_code == 1, result.output
    assert f"FAILED {broken['slug']}" in result.output
    rows = {r.schema_name: r for r in result_rows(fleet_rt)}
    failed = rows[broken["schema"]]
    assert failed.status == "failed"
    assert "DuplicateColumn" in failed.error and COLUMN in failed.error
    assert failed.from_revision == tenant_head() and failed.finished_at is not None
    # its schema and control-plane row are untouched; everyone else moved on
    assert schema_version(fleet_rt, broken["schema"]) == tenant_head()
    assert recorded_revision(fleet_rt, broken["id"]) == tenant_head()
    for t in tenants:
        if t is not broken:
            assert rows[t["schema"]].status == "succeeded"
            assert schema_version(fleet_rt, t["schema"]) == DRILL
    (run,) = run_rows(fleet_rt)
    assert (run.status, run.succeeded, run.failed) == ("failed", 3, 1)


def test_dry_run_prints_the_plan_and_changes_nothing(fleet_settings, drill_track):
    from controlplane.app import create_app
    from shared.migrations import script_directory, upgrade_public
    from shared.runtime import Runtime
    from tests.fleet.conftest import make_tenants

    rt = Runtime(fleet_settings)
    behind = script_directory("public").get_revision("cp0003_fleet").down_revision
    upgrade_public(rt.owner_engine, behind)  # public behind head, before the fleet tables
    tenants = make_tenants(rt, 2)
    runner = create_app(runtime=rt).test_cli_runner()
    args = ["tenants", "migrate", "--dry-run", "--script-location", drill_track.location]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert f"public: {behind} -> {public_head()}" in result.output
    assert "0 at head, 2 to migrate" in result.output
    for t in tenants:
        assert t["slug"] in result.output
        assert schema_version(rt, t["schema"]) == tenant_head()
        assert not has_column(rt, t["schema"], "audit_log", COLUMN)
    with rt.owner_engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT version_num FROM public.alembic_version").scalar() == (
            behind
        )
        assert conn.exec_driver_sql("SELECT to_regclass('public.fleet_runs')").scalar() is None
    rt.owner_engine.dispose()
    rt.engine.dispose()


def test_migrate_on_a_new_database_starts_with_public(fleet_settings, drill_track):
    from controlplane.app import create_app
    from shared.runtime import Runtime

    rt = Runtime(fleet_settings)
    runner = create_app(runtime=rt).test_cli_runner()
    dry = runner.invoke(args=["tenants", "migrate", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert f"public: None -> {public_head()}" in dry.output and "0 to migrate" in dry.output
    result = runner.invoke(args=["tenants", "migrate", "--script-location", drill_track.location])
    assert result.exit_code == 0, result.output
    assert "0 migrated, 0 failed, 0 already at head" in result.output
    with rt.owner_engine.connect() as conn:
        assert (
            conn.exec_driver_sql("SELECT version_num FROM public.alembic_version").scalar()
            == public_head()
        )
    rt.owner_engine.dispose()
    rt.engine.dispose()


def test_sql_renders_each_tenants_statements_without_running_them(
    fleet_rt, tenants, drill_track, cli
):
    result = cli("migrate", "--sql", "--script-location", drill_track.location)
    assert result.exit_code == 0, result.output
    for t in tenants:
        assert f'SET LOCAL search_path TO "{t["schema"]}"' in result.output
        assert not has_column(fleet_rt, t["schema"], "audit_log", COLUMN)
    assert result.output.count(f"ADD COLUMN {COLUMN}") == len(tenants)
    assert run_rows(fleet_rt) == []


def test_tenant_option_migrates_only_that_tenant(fleet_rt, tenants, drill_track, cli):
    only = tenants[2]
    result = cli("migrate", "--tenant", only["slug"], "--script-location", drill_track.location)
    assert result.exit_code == 0, result.output
    assert [r.schema_name for r in result_rows(fleet_rt)] == [only["schema"]]
    assert schema_version(fleet_rt, only["schema"]) == DRILL
    assert schema_version(fleet_rt, tenants[0]["schema"]) == tenant_head()
    unknown = cli(
        "migrate", "--tenant", "no-such-tenant", "--script-location", drill_track.location
    )
    assert unknown.exit_code == 1 and "no-such-tenant" in unknown.output


def test_lock_timeout_fails_a_tenant_whose_table_is_busy(fleet_rt, tenants, drill_track, cli):
    busy = tenants[0]
    with fleet_rt.owner_engine.connect() as blocker:
        blocker.exec_driver_sql(f'LOCK TABLE "{busy["schema"]}".audit_log IN ACCESS SHARE MODE')
        result = cli(
            "migrate", "--lock-timeout", "200ms", "--script-location", drill_track.location
        )
        blocker.rollback()
    assert result.exit_code == 1
    rows = {r.schema_name: r for r in result_rows(fleet_rt)}
    assert rows[busy["schema"]].status == "failed"
    assert "LockNotAvailable" in rows[busy["schema"]].error
    assert sum(r.status == "succeeded" for r in rows.values()) == len(tenants) - 1


def test_tenant_held_by_another_operation_is_not_migrated(fleet_rt, tenants, drill_track, cli):
    held = tenants[3]
    with fleet_rt.owner_engine.connect() as other:
        other.exec_driver_sql(
            f"SELECT pg_advisory_xact_lock({TENANT_LOCK_NAMESPACE}, hashtext('{held['schema']}'))"
        )
        result = cli(
            "migrate", "--lock-timeout", "300ms", "--script-location", drill_track.location
        )
        other.rollback()
    assert result.exit_code == 1
    row = next(r for r in result_rows(fleet_rt) if r.schema_name == held["schema"])
    assert row.status == "failed" and "advisory lock" in row.error
    assert row.duration_ms >= 300  # it kept trying for the whole lock timeout
    assert schema_version(fleet_rt, held["schema"]) == tenant_head()
    # once the lock is free, the next run finishes it
    assert cli("migrate", "--script-location", drill_track.location).exit_code == 0
    assert schema_version(fleet_rt, held["schema"]) == DRILL


def test_tenant_lock_released_within_the_lock_timeout_is_waited_for(
    fleet_rt, tenants, drill_track, cli
):
    held = tenants[0]
    other = fleet_rt.owner_engine.connect()
    other.exec_driver_sql(
        f"SELECT pg_advisory_xact_lock({TENANT_LOCK_NAMESPACE}, hashtext('{held['schema']}'))"
    )
    releaser = threading.Timer(0.3, other.rollback)
    releaser.start()
    try:
        result = cli("migrate", "--lock-timeout", "5s", "--script-location", drill_track.location)
    finally:
        releaser.join()
        other.close()
    assert result.exit_code == 0, result.output
    assert schema_version(fleet_rt, held["schema"]) == DRILL


def test_lock_timeout_option_is_validated(cli, fleet_rt):
    result = cli("migrate", "--lock-timeout", "5 seconds; DROP TABLE x")
    assert result.exit_code == 2
    assert "lock_timeout" in result.output


def test_pool_schemas_migrate_when_the_pool_table_exists(fleet_rt, tenants, drill_track, cli):
    from shared.migrations import create_tenant_schema
    from shared.tenancy import new_schema_name

    pooled = new_schema_name()
    with fleet_rt.owner_engine.begin() as conn:
        create_tenant_schema(conn, pooled, None)
        conn.exec_driver_sql(
            "INSERT INTO public.tenant_pool (schema_name, revision) VALUES"
            f" ('{pooled}', '{tenant_head()}'),"
            f" ('t_0123456789abcdef01234567', '{tenant_head()}')"  # schema gone: skipped
        )
    result = cli("migrate", "--parallel", "2", "--script-location", drill_track.location)
    assert result.exit_code == 0, result.output
    row = next(r for r in result_rows(fleet_rt) if r.schema_name == pooled)
    assert (row.kind, row.tenant_id, row.status) == ("pool", None, "succeeded")
    assert schema_version(fleet_rt, pooled) == DRILL
    with fleet_rt.owner_engine.connect() as conn:
        assert (
            conn.exec_driver_sql(
                f"SELECT revision FROM public.tenant_pool WHERE schema_name = '{pooled}'"
            ).scalar()
            == DRILL
        )
    assert len(result_rows(fleet_rt)) == len(tenants) + 1


def test_tenant_deleted_between_plan_and_migration_fails_alone(fleet_rt, tenants, drill_track):
    from controlplane.fleet.plan import MigrateOptions
    from controlplane.fleet.service import migrate_fleet

    gone = tenants[0]

    def delete_one(_plan):
        with fleet_rt.owner_engine.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{gone["schema"]}" CASCADE')
            conn.exec_driver_sql(f"DELETE FROM public.tenants WHERE id = '{gone['id']}'")

    report = migrate_fleet(
        fleet_rt, MigrateOptions(track_location=drill_track.location), on_plan=delete_one
    )
    assert (report.succeeded, report.failed) == (len(tenants) - 1, 1)
    (failure,) = report.failures
    assert failure.target.schema == gone["schema"]
    assert "ForeignKeyViolation" in failure.error
    (run,) = run_rows(fleet_rt)
    assert (run.status, run.failed) == ("failed", 1)


def test_rows_out_of_step_with_their_schema_are_corrected(fleet_rt, tenants, cli):
    lagging = tenants[0]
    with fleet_rt.owner_engine.begin() as conn:
        conn.exec_driver_sql(
            f"UPDATE public.tenants SET schema_revision = NULL WHERE id = '{lagging['id']}'"
        )
    before = fleet_rt.redis.get(version_key(lagging["id"]))
    result = cli("migrate")
    assert result.exit_code == 0, result.output
    assert f"0 migrated, 0 failed, {len(tenants)} already at head" in result.output
    assert recorded_revision(fleet_rt, lagging["id"]) == tenant_head()
    assert fleet_rt.redis.get(version_key(lagging["id"])) != before
