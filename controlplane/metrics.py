"""``GET /metrics``: the Prometheus exposition, behind ``Bearer <METRICS_TOKEN>`` when one is set.

Production refuses to start without ``METRICS_TOKEN`` (SPEC §7), so the endpoint is never open there.
"""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, current_app

from shared import metrics
from shared.auth.guards import bearer_token
from shared.errors import Unauthorized

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

    from controlplane.mail.models import PlatformOutboxMessage
    from jobs import duework, queues
    from shared.outbox.dlq import DlqEntry

    for name in queues.ALL:
        metrics.set_queue_depth(name, queues.queue(name, runtime.redis).count)
    metrics.set_due_work(duework.stats(runtime.redis))
    with runtime.engine.connect() as conn:
        pending = conn.scalar(
            select(func.count()).where(PlatformOutboxMessage.status.in_(("pending", "sending")))
        )
        metrics.set_outbox_depth("control", pending)
        dead = dict(
            conn.execute(
                select(DlqEntry.kind, func.coalesce(func.sum(DlqEntry.dead_count), 0)).group_by(
                    DlqEntry.kind
                )
            ).all()
        )
    for kind in ("email", "webhook"):
        metrics.set_dlq_depth(kind, int(dead.get(kind, 0)))
