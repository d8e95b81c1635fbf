"""Helpers for messaging tests: tenant refs, queueing mail and reading rows back."""

from __future__ import annotations

from sqlalchemy import select

from shared import db
from shared.outbox.dlq import DlqEntry
from shared.runtime import current_runtime
from tenantapp.messaging.service import EmailKind, enqueue_email
from tenantapp.outbox.models import OutboxMessage
from tenantapp.outbox.registry import EMAIL_KINDS

BOOKING_CONTEXT = {
    "customer_name": "Ada Lovelace",
    "booking": {
        "id": "bk-1001",
        "starts_at": "2027-01-15T16:00:00Z",  # 09:00 in America/Edmonton (MST)
        "address": "1 Main Street",
        "total_cents": 10500,
        "manage_url": "https://example.test/manage/bk-1001",
    },
}


def ref(handle):
    return current_runtime().tenants.by_id(handle.id)


def queue_email(template="booking_confirmed", to="ada@example.com", key="k-1", context=None):
    with db.transaction() as tx:
        return enqueue_email(
            tx,
            EMAIL_KINDS.get(template) or EmailKind(template),
            to,
            context or BOOKING_CONTEXT,
            key,
        )


def outbox_row(message_id: int) -> OutboxMessage:
    sess = db.session()
    row = sess.get(OutboxMessage, message_id, populate_existing=True)
    sess.commit()
    return row


def dlq_count(scope: str, kind: str) -> int:
    sess = db.session()
    entry = sess.scalar(
        select(DlqEntry)
        .where(DlqEntry.scope == scope, DlqEntry.kind == kind)
        .execution_options(populate_existing=True)
    )
    sess.commit()
    return 0 if entry is None else entry.dead_count
