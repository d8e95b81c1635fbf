"""Admin views of the tenant outbox: lists, dead letters and replay."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from shared import db
from shared.outbox import dlq, replay
from shared.pagination import decode_cursor, page
from shared.tenancy import current_tenant
from tenantapp.audit.service import record
from tenantapp.messaging.limits import enforce
from tenantapp.outbox.models import OutboxMessage

REPLAY_LIMIT = "5/minute"


def list_messages(
    limit: int, cursor: str | None, status: str | None = None, kind: str | None = None
) -> dict:
    """Outbox rows, newest first, optionally by status and kind."""
    stmt = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit + 1)
    if status:
        stmt = stmt.where(OutboxMessage.status == status)
    if kind:
        stmt = stmt.where(OutboxMessage.kind == kind)
    after = decode_cursor(cursor, int)
    if after:
        stmt = stmt.where(OutboxMessage.id < after[0])
    rows = list(db.session().scalars(stmt))
    return page(rows, limit, lambda m: [m.id])


def replay_message(message_id: int, kind: str | None = None) -> OutboxMessage:
    """Requeue one dead letter now (5 per minute per tenant); audited; the DLQ index follows.

    Its delivery job is enqueued after commit (the due-work fast path), with a fresh budget of 5
    attempts.
    """
    tenant = current_tenant()
    enforce(REPLAY_LIMIT, str(tenant.id), "outbox-replay")
    now = datetime.now(UTC)
    with db.transaction() as tx:
        row = replay(tx, OutboxMessage, message_id, now, kind=kind)
        record(tx, "outbox.replay", "outbox", message_id, {"status": "dead"}, {"status": "pending"})
        dlq.refresh(tx, OutboxMessage, tenant.id)
    return row
