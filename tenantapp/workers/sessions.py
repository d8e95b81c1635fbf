"""Worker portal sessions: opened at login, read by the ``worker`` guard on every request,
revoked together when a worker is deactivated."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select, update

from shared import db
from shared.auth import tokens
from shared.auth.tokens import ACCESS_TTL
from shared.runtime import current_runtime
from shared.tenancy import current_tenant
from tenantapp.workers.models import Worker, WorkerSession


def open_session(tx, worker: Worker, now: datetime | None = None) -> tuple[str, datetime]:
    """Add a session row to ``tx`` and issue its 12 h ``typ=worker`` access token."""
    now = now or datetime.now(UTC)
    session = WorkerSession(
        id=uuid.uuid4(), worker_id=worker.id, expires_at=now + ACCESS_TTL["worker"]
    )
    tx.add(session)
    return tokens.issue(
        current_runtime().settings,
        typ="worker",
        sub=str(worker.id),
        tid=str(current_tenant().id),
        sid=str(session.id),
        now=now,
    )


def revoke_all(tx, worker_id: int, now: datetime | None = None) -> int:
    """Revoke every live session of the worker (in ``tx``); returns how many."""
    result = tx.execute(
        update(WorkerSession)
        .where(WorkerSession.worker_id == worker_id, WorkerSession.revoked_at.is_(None))
        .values(revoked_at=now or datetime.now(UTC))
    )
    return result.rowcount


def load_session(sid: str, worker_id: int) -> dict | None:
    """The guard's per-request check: one primary-key join, no cache, so revocation and
    deactivation apply to the very next request."""
    row = (
        db.session()
        .execute(
            select(WorkerSession.expires_at, Worker.team_id)
            .join(Worker, Worker.id == WorkerSession.worker_id)
            .where(
                WorkerSession.id == uuid.UUID(sid),
                WorkerSession.worker_id == worker_id,
                WorkerSession.revoked_at.is_(None),
                Worker.active.is_(True),
            )
        )
        .first()
    )
    if row is None:
        return None
    return {"worker_id": worker_id, "team_id": row.team_id, "exp": row.expires_at.timestamp()}
