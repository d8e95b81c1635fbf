"""``GET /metrics``: the Prometheus exposition, behind ``Bearer <METRICS_TOKEN>`` when one is set.

Production refuses to start without ``METRICS_TOKEN`` (SPEC §7), so the endpoint is never open there.
"""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, current_app
from sqlalchemy import text

from controlplane.mail.models import PlatformOutboxMessage
from controlplane.provisioning.pool import pool_status
from jobs import duework, queues
from jobs.heartbeat import PIPELINE, SCHEDULER, WORKER, heartbeat_report
from shared import metrics
from shared.auth.guards import bearer_token
from shared.errors import Unauthorized
from shared.outbox.dlq import DlqEntry

blp = Blueprint("metrics", __name__)


def _check_token(settings) -> None:
    expected = settings.metrics_token
    if not expected and not settings.is_prod:
        return
    given = bearer_token() or ""
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        raise Unauthorized("The metrics token is required.", headers={"WWW-Authenticate": "Bearer"})


@blp.get("/metrics")
def scrape():
    runtime = current_app.extensions["cleanplane"]
    _check_token(runtime.settings)
    body, content_type = metrics.render(runtime)
    return Response(body, content_type=content_type, headers={"Cache-Control": "no-store"})


@metrics.on_scrape
def _job_and_outbox_gauges(runtime) -> None:
    """Queue depths and the due-work index (Redis), platform outbox backlog and dead letters by
    kind (control plane).

    Tenant outbox backlogs live in every tenant schema; their dead letters reach the control-plane
    DLQ index, which is what operators alert on, so the scrape stays one query per gauge.
    """
    from sqlalchemy import func, select

    for name in queues.ALL:
        metrics.set_queue_depth(name, queues.queue(name, runtime.redis).count)
    metrics.set_due_work(duework.stats(runtime.redis))
    with runtime.engine.connect() as conn:
        pending = conn.scalar(
            select(func.count()).where(PlatformOutboxMessage.status.in_(("pending", "sending")))
        )
        metrics.set_outbox_depth("control", pending)
        oldest_due = conn.scalar(
            select(
                func.extract("epoch", func.now() - func.min(PlatformOutboxMessage.next_attempt_at))
            ).where(
                PlatformOutboxMessage.status.in_(("pending", "sending")),
                PlatformOutboxMessage.next_attempt_at <= func.now(),
            )
        )
        metrics.set_outbox_oldest_due("control", float(oldest_due or 0))
        dead = dict(
            conn.execute(
                select(DlqEntry.kind, func.coalesce(func.sum(DlqEntry.dead_count), 0)).group_by(
                    DlqEntry.kind
                )
            ).all()
        )
    for kind in ("email", "webhook"):
        metrics.set_dlq_depth(kind, int(dead.get(kind, 0)))


@metrics.on_scrape
def _heartbeat_gauges(runtime) -> None:
    """Age of the freshest worker, scheduler and pipeline beat (the "heartbeat stale" alert)."""

    report = heartbeat_report(runtime.redis)
    workers = [w["age"] for w in report["workers"]]
    metrics.set_heartbeat_age(WORKER, min(workers) if workers else None)
    metrics.set_heartbeat_age(SCHEDULER, report["scheduler_age"])
    metrics.set_heartbeat_age(PIPELINE, report["pipeline_age"])


@metrics.on_scrape
def _warm_pool_gauges(runtime) -> None:
    """Ready pool schemas at head against ``TENANT_POOL_SIZE`` (the "warm pool empty" alert)."""

    status = pool_status(runtime)
    metrics.set_warm_pool(status.ready, status.target)


@metrics.on_scrape
def _db_backend_memory(runtime) -> None:
    """Memory of one pooled app backend, read through ``extensions.backend_memory_bytes()``.

    The pool hands out its idle connections in turn, so successive scrapes sample every backend;
    the alert takes the maximum over a window. The function (``shared/dbsetup.py``) is a
    SECURITY DEFINER wrapper over ``pg_backend_memory_contexts``, which the app role cannot read.
    """
    with runtime.engine.connect() as conn:
        value = conn.scalar(text("SELECT extensions.backend_memory_bytes()"))
    metrics.set_db_backend_memory(int(value or 0))
