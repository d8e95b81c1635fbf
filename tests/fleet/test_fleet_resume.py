"""A run killed mid-way leaves ``running`` rows; the next run marks them and finishes the rest."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from controlplane.fleet.locks import run_lock_held
from controlplane.fleet.plan import MigrateOptions
from controlplane.fleet.scratch import scratch_revision_id, scratch_track
from controlplane.fleet.service import migrate_fleet
from shared.migrations import tenant_head
from tests.fleet.conftest import (
    make_tenants,
    recorded_revision,
    result_rows,
    run_rows,
    schema_version,
)

ROOT = Path(__file__).resolve().parents[2]
DRILL = scratch_revision_id(1)


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _wait(predicate, timeout=20.0, step=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return False


def _cli_env(settings) -> dict:
    env = dict(os.environ)
    env.update(
        APP_ENV="test",
        DATABASE_URL=settings.database_url,
        DATABASE_OWNER_URL=settings.database_owner_url,
        REDIS_URL=settings.redis_url,
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    return env


@pytest.mark.slow  # a drill: kill -9 mid-run, then resume
def test_sigkilled_run_is_resumed_by_the_next(fleet_rt, tmp_path, cli):
    tenants = make_tenants(fleet_rt, 8)
    slow = scratch_track(tmp_path / "slow", revisions=1, sleep_ms=400)
    coordinator = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "controlplane.app:create_app", "tenants",
         "migrate", "--parallel", "2", "--script-location", slow.location],
        cwd=ROOT, env=_cli_env(fleet_rt.settings),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:

        def mid_run():
            rows = result_rows(fleet_rt)
            done = sum(r.status == "succeeded" for r in rows)
            return done >= 2 and any(r.status == "running" for r in rows)

        assert _wait(mid_run), coordinator.stderr.read1().decode() if coordinator.poll() else ""
        workers = _children(coordinator.pid)
        assert len(workers) == 2
        coordinator.send_signal(signal.SIGKILL)
        coordinator.wait(10)
    finally:
        if coordinator.poll() is None:
            coordinator.kill()
    # the workers die with their coordinator (no orphan keeps migrating) and the run lock goes
    assert _wait(lambda: not any(_alive(pid) for pid in workers))
    with fleet_rt.owner_engine.connect() as conn:
        assert _wait(lambda: not run_lock_held(conn) or conn.rollback())
    (killed,) = run_rows(fleet_rt)
    assert killed.status == "running"
    before = result_rows(fleet_rt)
    finished = {r.schema_name for r in before if r.status == "succeeded"}
    in_flight = {r.id for r in before if r.status == "running"}
    assert finished and in_flight and len(finished) < len(tenants)

    result = cli("migrate", "--parallel", "2", "--script-location", slow.location)
    assert result.exit_code == 0, result.output

    killed, resumed = run_rows(fleet_rt)
    assert killed.status == "abandoned" and killed.finished_at is not None
    assert resumed.status == "succeeded"
    assert resumed.planned == len(tenants) - len(finished)
    assert resumed.at_head == len(finished)
    after = result_rows(fleet_rt)
    assert {r.id: r.status for r in after if r.id in in_flight} == dict.fromkeys(
        in_flight, "abandoned"
    )
    # every tenant migrated exactly once, and everything is at the drill revision now
    succeeded = [r.schema_name for r in after if r.status == "succeeded"]
    assert sorted(succeeded) == sorted(t["schema"] for t in tenants)
    for t in tenants:
        assert schema_version(fleet_rt, t["schema"]) == DRILL
        assert recorded_revision(fleet_rt, t["id"]) == DRILL


def test_stale_running_rows_from_a_dead_run_are_marked_abandoned(fleet_rt, drill_track):
    tenants = make_tenants(fleet_rt, 3)
    with fleet_rt.owner_engine.begin() as conn:  # what a coordinator killed mid-tenant leaves
        conn.exec_driver_sql(
            "INSERT INTO public.fleet_runs (id, status, trigger, target_revision, parallel,"
            " planned, at_head, succeeded, failed) VALUES"
            " ('00000000-0000-0000-0000-00000000dead', 'running', 'cli:ghost', 'x', 1, 3, 0, 0, 0)"
        )
        conn.exec_driver_sql(
            "INSERT INTO public.fleet_results (run_id, tenant_id, schema_name, kind,"
            " from_revision, to_revision, status) VALUES"
            f" ('00000000-0000-0000-0000-00000000dead', '{tenants[0]['id']}',"
            f" '{tenants[0]['schema']}', 'tenant', '{tenant_head()}', 'x', 'running')"
        )
    report = migrate_fleet(fleet_rt, MigrateOptions(track_location=drill_track.location))
    assert report.ok and report.succeeded == 3
    dead, new = run_rows(fleet_rt)
    assert (dead.status, dead.error) == ("abandoned", "coordinator died")
    stale = result_rows(fleet_rt, dead.id)
    assert [r.status for r in stale] == ["abandoned"]
    assert new.status == "succeeded"
