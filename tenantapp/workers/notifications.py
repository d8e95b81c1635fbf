"""What workers are sent: their invitation link."""

from __future__ import annotations

import time

from tenantapp.messaging.service import EmailKind, enqueue_email

WORKER_INVITE = EmailKind("worker_invite")
EMAILS = (WORKER_INVITE,)


def worker_invited(tx, worker, invite_url: str) -> None:
    """Send a worker their invitation link (each invite is its own message)."""
    if worker.email:
        enqueue_email(
            tx,
            WORKER_INVITE,
            worker.email,
            {"worker_name": worker.name},
            f"worker_invite:{worker.id}:{time.time_ns()}",
            secrets={"login_url": invite_url},  # the link is a credential: sealed at rest
        )
