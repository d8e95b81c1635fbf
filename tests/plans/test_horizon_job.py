"""The daily horizon job (SPEC §5.10, §6): twice, or twice at once, creates nothing twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from shared import db
from shared.runtime import use_runtime
from shared.tenancy import tenant_context
from tenantapp.bookings.models import Booking
from tenantapp.plans import horizon
from tenantapp.plans import jobs as plan_jobs
from tests.plans.conftest import ZONE, create_plan, plan_bookings


def _in(rt, tenant, fn):
    with use_runtime(rt), tenant_context(rt.tenants.by_slug(tenant.slug)):
        try:
            return fn()
        finally:
            db.close_session()


def _visit_dates(rt, tenant):
    def read():
        rows = (
            db.session()
            .execute(
                select(Booking.plan_id, Booking.occurrence_date, func.count())
                .where(Booking.plan_id.isnot(None))
                .group_by(Booking.plan_id, Booking.occurrence_date)
            )
            .all()
        )
        return rows

    return _in(rt, tenant, read)


def test_horizon_job_twice_creates_nothing_twice(client, tenant, rt):
    plans = [create_plan(client, tenant, start_time=f"{9 + i}:00") for i in range(3)]
    before = sum(len(plan_bookings(client, tenant, p["id"])) for p in plans)
    later = datetime.now(UTC) + timedelta(days=14)
    first = _in(rt, tenant, lambda: horizon.extend_all(later))
    assert first["visits"] == 3 * 2  # two more weeks for each plan
    second = _in(rt, tenant, lambda: horizon.extend_all(later))
    assert second == {"plans": 0, "visits": 0}  # already through today's horizon: not even read
    after = sum(len(plan_bookings(client, tenant, p["id"])) for p in plans)
    assert after == before + 6
    assert all(count == 1 for _, _, count in _visit_dates(rt, tenant))


def test_horizon_job_twice_at_once_creates_each_visit_once(client, tenant, rt):
    plans = [create_plan(client, tenant, start_time=f"{9 + i}:00") for i in range(4)]
    later = datetime.now(UTC) + timedelta(days=21)
    results, errors = [], []
    barrier = threading.Barrier(2)

    def run():
        try:
            barrier.wait()
            results.append(_in(rt, tenant, lambda: horizon.extend_all(later)))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert sum(r["visits"] for r in results) == 4 * 3
    dates = _visit_dates(rt, tenant)
    assert all(count == 1 for _, _, count in dates)
    per_plan = {p["id"]: 0 for p in plans}
    for plan_id, _, _ in dates:
        per_plan[plan_id] += 1
    assert len(set(per_plan.values())) == 1  # no gap: every plan has the same visits


def test_job_runs_once_per_local_date_from_03_local(client, tenant, rt):
    create_plan(client, tenant)
    before_three = "2030-01-15T09:59:00+00:00"  # 02:59 in Edmonton
    at_three = "2030-01-15T10:00:00+00:00"
    run = plan_jobs.extend_plan_horizons
    tid = tenant.id
    assert run(tid, now=before_three)["reason"] == "before_03_local"
    done = run(tid, now=at_three)
    assert done["local_date"] == "2030-01-15"
    assert run(tid, now=at_three)["reason"] == "already_ran_today"
    rt.redis.delete(plan_jobs.run_key(tid, datetime(2030, 1, 15).date()))


ROOT = Path(__file__).resolve().parents[2]


def _worker(rt, tenant, now, marker=None):
    s = rt.settings
    env = {
        **os.environ,
        "APP_ENV": "test",
        "DATABASE_URL": s.database_url,
        "DATABASE_OWNER_URL": s.database_owner_url,
        "REDIS_URL": s.redis_url,
        "LOG_LEVEL": "WARNING",
        "TENANT_ID": str(tenant.id),
        "NOW": now.isoformat(),
        "PYTHONPATH": str(ROOT),
    }
    if marker is not None:
        env["MARKER"] = str(marker)
    return subprocess.Popen(
        [sys.executable, "-m", "tests.plans.horizon_worker"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _expected(client, tenant, plans, later):
    """Every plan's rule dates from its first visit through the horizon at ``later``."""
    horizon_end = (later.astimezone(ZONE) + timedelta(days=56)).date()
    out = {}
    for plan in plans:
        first = date.fromisoformat(plan["first_date"])
        out[plan["id"]] = {
            first + timedelta(days=7 * i) for i in range((horizon_end - first).days // 7 + 1)
        }
    return out


def _actual(rt, tenant):
    got: dict[int, set] = {}
    for plan_id, day, count in _visit_dates(rt, tenant):
        assert count == 1, (plan_id, day)
        got.setdefault(plan_id, set()).add(day)
    return got


def test_worker_killed_mid_run_then_rerun_leaves_no_duplicate_and_no_gap(
    client, tenant, rt, tmp_path
):
    plans = [create_plan(client, tenant, start_time=f"{9 + i}:00") for i in range(3)]
    later = datetime.now(UTC) + timedelta(days=28)
    marker = tmp_path / "first-date.marker"
    proc = _worker(rt, tenant, later, marker)
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            if proc.poll() is not None:
                raise AssertionError(proc.stderr.read().decode()[-2000:])
            assert time.monotonic() < deadline, "the worker never committed a date"
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    partial = _actual(rt, tenant)
    assert sum(map(len, partial.values())) < sum(
        map(len, _expected(client, tenant, plans, later).values())
    )
    _in(rt, tenant, lambda: horizon.extend_all(later))
    assert _actual(rt, tenant) == _expected(client, tenant, plans, later)


def test_two_real_workers_at_once_create_each_visit_once(client, tenant, rt):
    plans = [create_plan(client, tenant, start_time=f"{9 + i}:00") for i in range(3)]
    later = datetime.now(UTC) + timedelta(days=21)
    procs = [_worker(rt, tenant, later) for _ in range(2)]
    for proc in procs:
        out, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err.decode()[-2000:]
    assert _actual(rt, tenant) == _expected(client, tenant, plans, later)
