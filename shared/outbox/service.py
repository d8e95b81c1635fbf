"""Writing to an outbox: enqueue in the caller's transaction, and replay a dead letter."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from shared.errors import Conflict, NotFound
from shared.outbox.model import KINDS


def enqueue(
    sess: Session,
    model,
    *,
    kind: str,
    topic: str,
    dedupe_key: str,
    recipient: str | None = None,
    payload: dict | None = None,
    not_before: datetime | None = None,
    **extra,
) -> int | None:
    """Add a message to ``model``'s outbox inside ``sess``'s open transaction (no commit).

    Returns the new row id, or None when a message with ``dedupe_key`` already exists: the same
    cause enqueued twice (a retried request or job) yields one message, ever. A new row is
    announced through ``model.announce_due(sess, due_at)`` when the model has one (the tenant
    outbox: delivery seconds after commit, see ``jobs.signals``).
    """
    if kind not in getattr(model, "KINDS", KINDS):
        raise ValueError(f"unknown outbox kind {kind!r}")
    if not dedupe_key or len(dedupe_key) > 255:
        raise ValueError("dedupe_key must be 1-255 characters")
    values = {
        "kind": kind,
        "topic": topic,
        "dedupe_key": dedupe_key,
        "recipient": recipient,
        "payload": payload or {},
        **extra,
    }
    if not_before is not None:
        values["next_attempt_at"] = not_before
    stmt = (
        insert(model)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(model.id)
    )
    row_id = sess.execute(stmt).scalar()
    if row_id is not None:
        _announce(sess, model, not_before)
    return row_id


def _announce(sess: Session, model, due_at: datetime | None) -> None:
    announce = getattr(model, "announce_due", None)
    if announce is not None:
        announce(sess, due_at)


def replay(sess: Session, model, message_id: int, now: datetime, *, kind: str | None = None):
    """Put a dead letter back in line with a fresh attempt budget (caller commits).

    Unknown ids (and, with ``kind``, rows of another kind) are 404; a row that is not dead is a
    409 ``invalid_transition`` — replaying a pending or sent message would only duplicate it.
    """
    stmt = select(model).where(model.id == message_id).with_for_update()
    if kind is not None:
        stmt = stmt.where(model.kind == kind)
    row = sess.scalar(stmt)
    if row is None:
        raise NotFound("No such message.")
    if row.status != "dead":
        raise Conflict(
            f"Only dead letters can be replayed; this message is {row.status}.",
            code="invalid_transition",
        )
    row.status = "pending"
    row.attempts = 0
    row.next_attempt_at = now
    row.lease_until = None
    row.dead_at = None
    row.replay_count = row.replay_count + 1
    _announce(sess, model, None)
    return row
