"""``/healthz`` (process up) and ``/readyz`` (database, Redis, ``public`` at head)."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from sqlalchemy import func, select, text

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
            head = tenant_head()
            served = Tenant.status.in_(("active", "suspended"))
            row = conn.execute(
                select(
                    func.count().filter(served, Tenant.schema_revision == head),
                    func.count().filter(served, Tenant.schema_revision != head),
                    func.count().filter(Tenant.status == "provision_failed"),
                )
            ).one()
            report["tenants"] = {"at_head": row[0], "behind": row[1], "failed": row[2]}
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
    return jsonify(report), 200 if ready else 503


def _job_heartbeats(runtime) -> dict:
    try:
        from jobs.heartbeat import heartbeat_report

        return heartbeat_report(runtime.redis)
    except Exception as exc:  # noqa: BLE001
        return {"error": type(exc).__name__}
