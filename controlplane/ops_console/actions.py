"""State changes made from the console, each recorded in ``ops_audit`` by the same transaction
(or, for work that runs elsewhere, before it is handed over): suspend, resume, move, start a fleet
migration, replay dead letters. They call the operators' own services — never HTTP."""

from __future__ import annotations

import uuid

from flask import g, has_request_context
from sqlalchemy import func, select

from controlplane.fleet import service as fleet
from controlplane.fleet.plan import MigrateOptions
from controlplane.mail.models import PlatformOutboxMessage
from controlplane.ops_console.models import OpsAuditEntry
from controlplane.shards.move import MoveError, open_move
from controlplane.tenants.lifecycle import transition
from jobs import duework, queues
from shared import db, freeze
from shared.errors import Conflict, NotFound, field_error
from shared.models.tenants import Tenant
from shared.outbox import dlq, replay
from shared.outbox.model import KINDS
from shared.runtime import current_runtime
from shared.shards import UnknownShard
from shared.tenancy import tenant_context
from tenantapp.outbox.models import OutboxMessage

REPLAY_MAX = 500  # dead letters replayed per click; the rest stay for the next one
MOVE_JOB = "controlplane.ops_console.jobs.run_tenant_move"


def audit(sess, operator: str, action: str, tenant_id=None, **detail) -> None:
    """Add an ``ops_audit`` row to ``sess``'s transaction."""
    sess.add(
        OpsAuditEntry(
            operator=operator,
            action=action,
            tenant_id=tenant_id,
            detail={k: (str(v) if isinstance(v, uuid.UUID) else v) for k, v in detail.items()},
            request_id=g.get("request_id") if has_request_context() else None,
        )
    )


def set_status(tenant_id: uuid.UUID, to_status: str, operator: str, reason: str):
    """Suspend (``suspended``) or resume (``active``) a tenant; the lifecycle event and the audit
    row commit together, then every process sees the change (version bump)."""
    if not reason.strip():
        raise field_error("reason", "Say why (it is kept in the tenant's history).")
    with db.transaction() as tx:
        tenant = tx.get(Tenant, tenant_id)
        if tenant is None:
            raise NotFound("No such tenant.")
        before = tenant.status
        tenant = transition(tx, tenant_id, to_status, actor=f"operator:{operator}", reason=reason)
        verb = "suspend" if to_status == "suspended" else "resume"
        if before == to_status:
            return tenant  # a double click: nothing changed, nothing to record
        audit(
            tx, operator, f"tenant.{verb}", tenant_id, before=before, after=to_status, reason=reason
        )
    runtime = current_runtime()
    runtime.tenants.bump(tenant_id)
    if to_status == "active":
        duework.unpark(runtime.redis, tenant_id)  # work that waited while suspended runs now
    return tenant


def start_move(tenant_id: uuid.UUID, target: str, operator: str) -> uuid.UUID:
    """Open (or resume) the tenant's move to shard ``target`` and hand it to a worker.

    The checks that can fail at once (unknown shard, already there, not movable, another move
    open, Redis down) are a 409 here; the copy itself runs on the maintenance queue."""
    runtime = current_runtime()
    tenant = db.session().get(Tenant, tenant_id)
    if tenant is None:
        raise NotFound("No such tenant.")
    try:
        freeze.require_redis(runtime.redis)
        move_id = open_move(runtime, tenant.slug, target, f"operator:{operator}")
    except (MoveError, freeze.FreezeUnavailable) as exc:
        raise Conflict(str(exc)) from exc
    except UnknownShard as exc:
        raise field_error("shard", f"no shard named {target!r}") from exc
    with db.transaction() as tx:
        audit(
            tx, operator, "tenant.move", tenant_id, move_id=move_id, to=target, source=tenant.shard
        )
    queues.queue(queues.MAINTENANCE, runtime.redis).enqueue(
        MOVE_JOB, args=(str(move_id),), job_timeout=3600, result_ttl=86400
    )
    return move_id


def start_migration(operator: str, tenant_slug: str | None = None, parallel: int = 2) -> uuid.UUID:
    """Start a fleet migration run (the CLI's code, in the background); 409 while one runs."""
    options = MigrateOptions(
        parallel=parallel, tenant_slug=tenant_slug or None, trigger=f"operator:{operator}"
    )
    run_id = fleet.start_background_run(current_runtime(), options)
    with db.transaction() as tx:
        audit(
            tx,
            operator,
            "fleet.migrate",
            None,
            run_id=run_id,
            tenant=tenant_slug,
            parallel=parallel,
        )
    return run_id


def replay_dead_letters(scope: str, kind: str, operator: str) -> int:
    """Put up to ``REPLAY_MAX`` dead letters of ``kind`` back in line, for one tenant (``scope``
    is its id) or the platform outbox (``platform``); the DLQ index follows in the same
    transaction. Returns how many were replayed."""
    if kind not in KINDS:
        raise field_error("kind", f"one of {', '.join(KINDS)}")
    runtime = current_runtime()
    if scope == dlq.PLATFORM_SCOPE:
        with db.transaction() as tx:
            n = _replay_all(tx, PlatformOutboxMessage, kind)
            dlq.refresh(tx, PlatformOutboxMessage, None)
            audit(tx, operator, "dlq.replay", None, scope=scope, kind=kind, replayed=n)
        return n
    try:
        tenant_id = uuid.UUID(scope)
    except ValueError as exc:
        raise NotFound("No such dead-letter scope.") from exc
    ref = runtime.tenants.by_id(tenant_id)
    if ref is None or ref.status in ("deleting", "deleted"):
        raise NotFound("No such tenant.")
    with tenant_context(ref), db.transaction() as tx:
        n = _replay_all(tx, OutboxMessage, kind)
        dlq.refresh(tx, OutboxMessage, tenant_id)
    with db.transaction() as tx:
        audit(tx, operator, "dlq.replay", tenant_id, scope=scope, kind=kind, replayed=n)
    return n


def _replay_all(sess, model, kind: str) -> int:
    ids = sess.scalars(
        select(model.id)
        .where(model.status == "dead", model.kind == kind)
        .order_by(model.id)
        .limit(REPLAY_MAX)
    ).all()
    now = sess.scalar(select(func.now()))
    for message_id in ids:
        replay(sess, model, message_id, now, kind=kind)
    return len(ids)
