"""Delivering due outbox rows: claim one row under a lease, send it, record the outcome.

Exactly-once thinking, per row:

1. **Claim** (own committed transaction, ``FOR UPDATE SKIP LOCKED``): ``status = sending``,
   ``attempts + 1``, lease of ``lease_seconds`` (also written to ``next_attempt_at``, so the row is
   invisible to other runs until the lease expires). Parallel runs never pick the same row.
2. **Send** outside any transaction (network I/O never holds a row lock).
3. **Finish** (own committed transaction): ``sent``, or back to ``pending`` with backoff
   30 s × 2^(n−1), or ``dead`` after the 5th attempt or on a permanent refusal.

A process killed between 1 and 3 leaves a ``sending`` row whose lease expires: the send may or may
not have happened. Each kind declares what to do with such an *in-doubt* row: e-mail has no
receiver-side dedupe, so it goes to the dead letters (``outcome_unknown``) for a person to replay —
never a silent second e-mail; webhooks are retried, because every request carries the stable
``X-Cleanplane-Delivery`` id receivers dedupe on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from shared import circuit, db, metrics
from shared.errors import ServiceUnavailable
from shared.outbox import dlq
from shared.outbox.model import MAX_ATTEMPTS, backoff_seconds

log = logging.getLogger("cleanplane.outbox")
DEFAULT_LEASE_SECONDS = 300


class DeliveryError(Exception):
    """A failed try; ``reason`` is a short code kept in the row's ``last_error``."""

    permanent = False

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class Retryable(DeliveryError):
    """Worth trying again later (timeouts, connection errors, 5xx, 4xx SMTP replies)."""


class Permanent(DeliveryError):
    """Trying again cannot help (refused recipient, unsafe target): straight to the dead letters."""

    permanent = True


class Skip(Exception):  # an outcome, not an error
    """Nothing to send any more (e.g. the recipient unsubscribed from optional mail)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class Defer(Exception):  # an outcome, not an error
    """Not now: try again at ``until`` without spending an attempt (SMS quiet hours)."""

    def __init__(self, until: datetime, reason: str):
        super().__init__(reason)
        self.until = until
        self.reason = reason


@dataclass(frozen=True)
class Message:
    """What a handler gets: a snapshot of the claimed row (no live ORM object)."""

    id: int
    dedupe_key: str
    kind: str
    topic: str
    recipient: str | None
    payload: dict
    attempts: int
    replay_count: int
    created_at: datetime | None
    in_doubt: bool = False

    @classmethod
    def from_row(cls, row, in_doubt: bool = False) -> Message:
        return cls(
            id=row.id,
            dedupe_key=row.dedupe_key,
            kind=row.kind,
            topic=row.topic,
            recipient=row.recipient,
            payload=dict(row.payload or {}),
            attempts=row.attempts,
            replay_count=row.replay_count,
            created_at=row.created_at,
            in_doubt=in_doubt,
        )


@dataclass(frozen=True)
class Handler:
    """How one kind is delivered: ``send(message, now)`` returns a provider reference."""

    send: Callable[[Message, datetime], str | None]
    retry_in_doubt: bool = False


@dataclass
class RunReport:
    sent: int = 0
    retried: int = 0
    dead: int = 0
    skipped: int = 0
    deferred: int = 0

    def as_dict(self) -> dict:
        return {
            "sent": self.sent,
            "retried": self.retried,
            "dead": self.dead,
            "skipped": self.skipped,
            "deferred": self.deferred,
        }


def utcnow() -> datetime:
    return datetime.now(UTC)


def _clip(text: str, size: int = 500) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"


def deliver_due(
    model,
    handlers: dict[str, Handler],
    *,
    now: datetime | None = None,
    batch: int = 50,
    lease_seconds: int = DEFAULT_LEASE_SECONDS,
    tenant_id=None,
    after_send: Callable[[Message], None] | None = None,
    only_ids: list[int] | None = None,
) -> RunReport:
    """Deliver up to ``batch`` due rows of ``model`` in the current context's session.

    ``now`` is injectable so tests (and replays of a schedule) can move the clock. ``after_send``
    is a test hook called after a successful send and before the outcome is recorded;
    ``only_ids`` limits the run to those rows (delivering one message right after its commit). The DLQ
    index row of this outbox (``tenant_id``; None = the control plane) is refreshed when a row died.
    """
    now = now or utcnow()
    report = RunReport()
    sess = db.session()
    due = (
        select(model.id)
        .where(model.status.in_(("pending", "sending")), model.next_attempt_at <= now)
        .order_by(model.next_attempt_at, model.id)
        .limit(batch)
    )
    if only_ids is not None:
        due = due.where(model.id.in_(only_ids))
    ids = list(sess.scalars(due))
    sess.commit()
    blocked: set[str] = set()
    for message_id in ids:
        message = _claim(model, handlers, message_id, now, lease_seconds, blocked, report)
        if message is None:
            continue
        _attempt(model, handlers[message.kind], message, now, blocked, report, after_send)
    if report.dead:
        with db.transaction() as tx:
            dlq.refresh(tx, model, tenant_id)
    return report


def _claim(model, handlers, message_id, now, lease_seconds, blocked, report) -> Message | None:
    with db.transaction() as tx:
        row = tx.scalar(
            select(model)
            .where(
                model.id == message_id,
                model.status.in_(("pending", "sending")),
                model.next_attempt_at <= now,
            )
            .with_for_update(skip_locked=True)
        )
        if row is None or row.kind in blocked:
            return None
        handler = handlers.get(row.kind)
        if handler is None:
            _mark_dead(row, now, f"no_handler: nothing delivers {row.kind} messages here")
            report.dead += 1
            return None
        in_doubt = row.status == "sending"
        if in_doubt:
            log.warning("outbox row %s was interrupted mid-delivery", row.id)
            if not handler.retry_in_doubt:
                _mark_dead(
                    row,
                    now,
                    "outcome_unknown: delivery was interrupted after it started; "
                    "replay it to send again",
                )
                report.dead += 1
                return None
            if row.attempts >= MAX_ATTEMPTS:
                _mark_dead(row, now, row.last_error or "interrupted")
                report.dead += 1
                return None
        row.status = "sending"
        row.attempts = row.attempts + 1
        row.lease_until = now + timedelta(seconds=lease_seconds)
        row.next_attempt_at = row.lease_until
        return Message.from_row(row, in_doubt=in_doubt)


def _mark_dead(row, now: datetime, reason: str) -> None:
    row.status = "dead"
    row.dead_at = now
    row.lease_until = None
    row.last_error = _clip(reason)


def _finish(model, message_id: int, **values) -> None:
    with db.transaction() as tx:
        tx.execute(
            update(model)
            .where(model.id == message_id, model.status == "sending")
            .values(lease_until=None, **values)
        )


def _attempt(model, handler, message, now, blocked, report, after_send) -> None:
    try:
        ref = handler.send(message, now)
    except ServiceUnavailable as exc:
        # The circuit is open: nothing was tried, so the attempt is given back and this kind
        # waits for the breaker's cool-down instead of burning every row's budget.
        blocked.add(message.kind)
        report.deferred += 1
        _finish(
            model,
            message.id,
            status="pending",
            attempts=message.attempts - 1,
            next_attempt_at=now,
            last_error=_clip(f"circuit_open: {exc.detail}"),
        )
        return
    except Defer as exc:
        report.deferred += 1
        _finish(
            model,
            message.id,
            status="pending",
            attempts=message.attempts - 1,
            next_attempt_at=exc.until,
            last_error=_clip(exc.reason),
        )
        return
    except Skip as exc:
        report.skipped += 1
        _finish(model, message.id, status="skipped", last_error=_clip(exc.reason))
        return
    except Exception as exc:  # every failure is recorded on the row
        reason = str(exc) if isinstance(exc, DeliveryError) else f"error: {exc!r}"
        if not isinstance(exc, DeliveryError):
            log.exception("outbox handler failed for row %s", message.id)
        if getattr(exc, "permanent", False) or message.attempts >= MAX_ATTEMPTS:
            report.dead += 1
            _finish(model, message.id, status="dead", dead_at=now, last_error=_clip(reason))
        else:
            report.retried += 1
            _finish(
                model,
                message.id,
                status="pending",
                next_attempt_at=now + timedelta(seconds=backoff_seconds(message.attempts)),
                last_error=_clip(reason),
            )
        return
    if after_send is not None:
        after_send(message)
    report.sent += 1
    _finish(model, message.id, status="sent", sent_at=now, provider_ref=ref, last_error=None)
    if message.created_at is not None:
        # Wall-clock lag (not the injectable ``now``): what the "outbox lag" alert watches.
        plane = "control" if model.__table__.schema == "public" else "tenant"
        lag = (utcnow() - message.created_at).total_seconds()
        metrics.observe_outbox_delivery(plane, message.kind, lag)


def through_breaker(name: str, fn, *args):
    """Call ``fn`` through the ``name`` circuit breaker, telling the outcomes apart.

    - the circuit was open and ``fn`` never ran → ``ServiceUnavailable`` (the loop gives the
      attempt back and waits);
    - ``fn`` ran and failed, even if that failure tripped the breaker → ``Retryable`` (counts);
    - ``fn`` returned a ``Permanent`` (refusals are returned, not raised, so they never trip the
      breaker) → raised here.
    """
    ran = False

    def tracked(*inner):
        nonlocal ran
        ran = True
        return fn(*inner)

    try:
        outcome = circuit.call(name, tracked, *args)
    except ServiceUnavailable as exc:
        if ran:
            raise Retryable("circuit_tripped", f"{name} failed and its circuit opened") from exc
        raise
    if isinstance(outcome, Permanent):
        raise outcome
    return outcome
