"""Read side of fleet migrations: the operator view and the counts ``/readyz`` reports."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from controlplane.fleet.locks import run_lock_held
from controlplane.fleet.models import FleetResult, FleetRun
from shared.migrations import (
    TENANT_MIN_REVISION,
    public_head,
    public_revision,
    served_revisions,
    tenant_track,
)
from shared.models.tenants import Tenant

FAILURES_SHOWN = 200


def _last_conclusive():
    """Each schema's latest finished result (succeeded or failed; abandoned runs say nothing)."""
    return (
        select(FleetResult)
        .where(FleetResult.status.in_(("succeeded", "failed")))
        .ext(distinct_on(FleetResult.schema_name))
        .order_by(FleetResult.schema_name, FleetResult.id.desc())
        .subquery()
    )


def _failed_last():
    """Schemas whose last finished result failed (deleted tenants left out), newest first."""
    last = _last_conclusive()
    return (
        select(last, Tenant.slug)
        .select_from(last)
        .outerjoin(Tenant, Tenant.id == last.c.tenant_id)
        .where(last.c.status == "failed")
        .where(func.coalesce(Tenant.status, "pool") != "deleted")
        .order_by(last.c.id.desc())
    )


def failed_migration_count(conn: Connection | Session) -> int:
    """Tenants (and pool schemas) whose last fleet migration failed."""
    stmt = _failed_last().order_by(None).subquery()
    return conn.execute(select(func.count()).select_from(stmt)).scalar_one()


def fleet_status(sess: Session) -> dict:
    """Tenants per revision, the last run (with live counts) and the current failures."""
    track = tenant_track()
    served = served_revisions()
    chain = track.chain
    rows = sess.execute(
        select(Tenant.schema_revision, func.count())
        .where(Tenant.status != "deleted")
        .group_by(Tenant.schema_revision)
    ).all()
    revisions = sorted(
        (
            {
                "revision": rev,
                "tenants": n,
                "position": chain.index(rev) if rev in chain else None,
                "at_head": rev == track.head,
                "served": served.serves(rev),
            }
            for rev, n in rows
        ),
        key=lambda r: (r["position"] is None, r["position"] or 0, r["revision"] or ""),
    )
    conn = sess.connection()
    last = sess.scalars(select(FleetRun).order_by(FleetRun.started_at.desc()).limit(1)).first()
    last_run = None
    if last is not None:
        counts = dict(
            sess.execute(
                select(FleetResult.status, func.count())
                .where(FleetResult.run_id == last.id)
                .group_by(FleetResult.status)
            ).all()
        )
        last_run = {c.key: getattr(last, c.key) for c in FleetRun.__mapper__.column_attrs}
        last_run.update(
            succeeded=counts.get("succeeded", 0),
            failed=counts.get("failed", 0),
            in_flight=counts.get("running", 0),
            abandoned=counts.get("abandoned", 0),
        )
    failures = sess.execute(_failed_last().limit(FAILURES_SHOWN))
    return {
        "head": track.head,
        "min_revision": TENANT_MIN_REVISION,
        "public": {"revision": public_revision(conn), "head": public_head()},
        "running": run_lock_held(conn),
        "revisions": revisions,
        "last_run": last_run,
        "failed": failed_migration_count(sess),
        "failures": [dict(r._mapping) for r in failures],
    }
