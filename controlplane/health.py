"""``/healthz`` (process up) and ``/readyz`` (database, Redis, ``public`` at head).

``/readyz`` shows its details (revisions, tenant counts, heartbeats, the app role's search_path)
only to operators (Basic or operator token) or to ``Authorization: Bearer <METRICS_TOKEN>``; anyone
else, a load balancer included, gets the status alone (SPEC §8).
"""

from __future__ import annotations

import hmac

from flask import Blueprint, current_app, jsonify
from sqlalchemy import func, select, text

from controlplane.fleet.report import failed_migration_count
from jobs.heartbeat import heartbeat_report
from shared.auth.guards import authenticate_operator, bearer_token
from shared.errors import AppError
from shared.migrations import public_head, public_revision, tenant_head
from shared.models.tenants import Tenant

blp = Blueprint("health", __name__)


@blp.get("/healthz")
def healthz():
    return jsonify(status="ok")


@blp.get("/readyz")
def readyz():
    runtime = current_app.extensions["cleanplane"]
    report: dict = {"status": "ok"}
    ready = True
    try:
        with runtime.engine.connect() as conn:
            report["search_path"] = conn.execute(text("SHOW search_path")).scalar()
            revision = public_revision(conn)
            report["database"] = {"ok": True, "public_revision": revision, "head": public_head()}
            if revision != public_head():
                ready = False
                report["database"]["ok"] = False
        report["tenants"] = _tenant_counts(runtime)
    except Exception as exc:  # noqa: BLE001 - readiness reports, it never raises
        current_app.logger.warning("readiness: database check failed: %s", exc)
        ready = False
        report["database"] = {"ok": False, "error": type(exc).__name__}
    try:
        runtime.redis.ping()
        report["redis"] = {"ok": True}
    except Exception as exc:  # noqa: BLE001
        ready = False
        report["redis"] = {"ok": False, "error": type(exc).__name__}
    report["jobs"] = _job_heartbeats(runtime)
    if runtime.settings.job_heartbeat_required and not report["jobs"].get("scheduler_ok"):
        ready = False
    if not ready:
        report["status"] = "unavailable"
    if not _may_see_details(runtime.settings):
        report = {"status": report["status"]}
    resp = jsonify(report)
    resp.headers["Cache-Control"] = "no-store"
    resp.vary.add("Authorization")
    return resp, 200 if ready else 503


def _may_see_details(settings) -> bool:
    """Operator credentials, or the metrics token (what a Prometheus scraper already holds)."""

    given = bearer_token()
    expected = settings.metrics_token
    if given and expected and hmac.compare_digest(given.encode(), expected.encode()):
        return True
    try:
        authenticate_operator()
    except AppError:
        return False
    except Exception:  # noqa: BLE001 - a broken token or an unreachable DB never shows details
        current_app.logger.warning("readiness: operator check failed", exc_info=True)
        return False
    return True


def _tenant_counts(runtime) -> dict:
    """At head, behind, failed (provisioning or last fleet migration): reported, never fatal."""

    try:
        with runtime.engine.connect() as conn:
            head = tenant_head()
            # FILTER, not GROUP BY an expression: each bound ``head`` is its own parameter
            # server-side, so Postgres refused the grouped form.
            at_head, behind = conn.execute(
                select(
                    func.count().filter(Tenant.schema_revision == head),
                    func.count().filter(Tenant.schema_revision.is_distinct_from(head)),
                ).where(Tenant.status.in_(("active", "suspended")))
            ).one()
            provision_failed = conn.scalar(
                select(func.count()).where(Tenant.status == "provision_failed")
            )
            migration_failed = failed_migration_count(conn)
    except Exception as exc:  # noqa: BLE001 - tenants never fail readiness (SPEC §2.6)
        return {"error": type(exc).__name__}
    return {
        "at_head": at_head,
        "behind": behind,
        "failed": provision_failed + migration_failed,
        "provision_failed": provision_failed,
        "migration_failed": migration_failed,
    }


def _job_heartbeats(runtime) -> dict:
    try:
        return heartbeat_report(runtime.redis)
    except Exception as exc:  # noqa: BLE001
        return {"error": type(exc).__name__}
