"""The hourly snapshot: gauges now, counts recomputed, idempotent, kept exactly 400 days."""

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, insert, select

from controlplane.ops_console.models import OpsPoint, OpsSnapshot
from controlplane.ops_console.snapshots import KEEP, hour_of, take_snapshot
from jobs.schedules import SCHEDULES
from shared import db
from shared.models.plans import UsageEvent
from shared.models.tenants import Tenant


def _points(series, hour):
    rows = db.session().execute(
        select(OpsPoint.label, OpsPoint.value).where(
            OpsPoint.series == series, OpsPoint.hour == hour
        )
    )
    return dict(rows.all())


def _tombstone(created_at):
    """A deleted tenant row created at ``created_at`` (rows only: nothing else reads it)."""
    with db.transaction() as tx:
        tx.execute(
            insert(Tenant).values(
                id=uuid.uuid4(),
                slug=f"snap-{uuid.uuid4().hex[:12]}",
                company_name="Snapshot",
                schema_name=f"t_{uuid.uuid4().hex[:24]}",
                status="deleted",
                plan_code="free",
                created_at=created_at,
            )
        )


def test_snapshot_records_gauges_and_is_idempotent(rt, client, tenant):
    now = datetime.now(UTC)
    take_snapshot(now)
    hour = hour_of(now)
    db.close_session()
    statuses = _points("tenants", hour)
    live = dict(
        db.session()
        .execute(
            select(Tenant.status, func.count())
            .where(Tenant.status != "deleted")
            .group_by(Tenant.status)
        )
        .all()
    )
    assert statuses == live and statuses["active"] >= 1 and "deleted" not in statuses
    assert _points("mrr_cents", hour)["free"] == 0
    assert set(_points("dlq_depth", hour)) == {"email", "webhook"}
    assert set(_points("outbox_depth", hour)) == {"platform", "tenants_due"}
    before = db.session().scalar(select(func.count()).select_from(OpsPoint))
    # Same hour again (a moment between the hour's start and now: "now + 5 minutes" crossed
    # into the next hour when the test ran at :55): same rows, same values.
    take_snapshot(hour + (now - hour) / 2)
    db.close_session()
    assert db.session().scalar(select(func.count()).select_from(OpsPoint)) == before
    assert _points("tenants", hour) == statuses


def test_counts_are_recomputed_per_finished_hour(rt, tenant):
    now = datetime.now(UTC)
    take_snapshot(now)  # from here on only the last few hours are recounted
    past = hour_of(now) - timedelta(hours=2)
    _tombstone(past + timedelta(minutes=10))
    _tombstone(past + timedelta(minutes=50))
    with db.transaction() as tx:
        tx.execute(
            insert(UsageEvent).values(
                tenant_id=uuid.UUID(tenant.id),
                metric="api_requests",
                quantity=37,
                idempotency_key=f"api_requests:test:{uuid.uuid4()}",
                occurred_at=past + timedelta(minutes=30),
            )
        )
    db.close_session()
    signups_before = _points("signups", past).get("", 0)
    requests_before = _points("api_requests", past).get("", 0)
    take_snapshot(now + timedelta(minutes=1))
    db.close_session()
    assert _points("signups", past)[""] == signups_before + 2
    assert _points("api_requests", past)[""] == requests_before + 37
    row = db.session().get(Tenant, uuid.UUID(tenant.id))
    assert row.last_activity_at == past + timedelta(minutes=30)  # the latest metered minute


def test_points_are_kept_400_days_and_no_longer(rt):
    now = datetime.now(UTC)
    hour = hour_of(now)
    edge, older = hour - KEEP, hour - KEEP - timedelta(hours=1)
    with db.transaction() as tx:
        for at in (edge, older):
            tx.execute(insert(OpsPoint).values(series="test", hour=at, label="", value=1))
            tx.execute(insert(OpsSnapshot).values(hour=at))
    take_snapshot(now)
    db.close_session()
    kept = db.session().scalars(select(OpsPoint.hour).where(OpsPoint.series == "test")).all()
    assert kept == [edge]
    assert db.session().get(OpsSnapshot, older) is None
    assert db.session().get(OpsSnapshot, edge) is not None
    with db.transaction() as tx:
        tx.execute(delete(OpsPoint).where(OpsPoint.series == "test"))


def test_the_first_snapshot_backfills_signups_over_the_retention_window(rt):
    with db.transaction() as tx:  # as if no snapshot had ever been taken
        tx.execute(delete(OpsSnapshot))
    now = datetime.now(UTC)
    long_ago = hour_of(now) - timedelta(days=300, hours=5)
    _tombstone(long_ago + timedelta(minutes=1))
    take_snapshot(now)
    db.close_session()
    assert _points("signups", long_ago)[""] >= 1


def test_the_snapshot_is_scheduled_hourly():
    (schedule,) = [s for s in SCHEDULES if s.name == "ops-snapshot"]
    assert schedule.func == "controlplane.ops_console.jobs.ops_snapshot"
    assert schedule.cron == "3 * * * *"  # after the minute's usage flush of the hour's end


def test_flask_ops_snapshot_takes_one_now(wsgi_app, rt):
    before = hour_of(datetime.now(UTC))
    result = wsgi_app.control_plane.test_cli_runner().invoke(args=["ops", "snapshot"])
    assert result.exit_code == 0, result.output
    assert '"hour"' in result.output
    db.close_session()
    hours = {before, hour_of(datetime.now(UTC))}  # two when the command ran across an hour
    assert any(db.session().get(OpsSnapshot, hour) is not None for hour in hours)
