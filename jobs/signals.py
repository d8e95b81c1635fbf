"""Signals into the due-work index from the transactions that create work (one helper per kind).

Each helper is called inside the creating transaction, with its session, and acts only after that
transaction commits (a rollback drops it): it records ``(tenant, kind) -> due time`` in the index,
or — for a new outbox row due now — enqueues delivery at once (the fast path, deduplicated per
tenant by ``jobs.dispatch.run_now``). A signal that fails (Redis down, a process killed after
commit) only delays the work until the reconcile (``jobs.reconcile``) finds it in the schema.

- ``outbox_row_added(sess, due_at=None)`` — a tenant outbox row was inserted or put back in line;
- ``booking_changed(sess, booking)`` — a booking was created, confirmed, moved or cancelled: its
  24-hour reminder and its deposit hold fall due at known times;
- ``tombstone_added(sess, tombstone)`` — a storage delete the janitor may have to retry;
- ``charge_due(sess, due_at)`` — an invoice's auto-charge attempt (card on file) falls due;
- ``dunning_due(sess, due_at)`` — an issued invoice's first overdue e-mail falls due.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from jobs import dispatch, duework
from shared.aftercommit import on_commit
from shared.runtime import current_runtime
from shared.tenancy import current_tenant

log = logging.getLogger("jobs.signals")

REMINDER_LEAD = timedelta(hours=24)
JANITOR_FIRST_RETRY = timedelta(minutes=1)  # the delete is tried right after commit first


def _registered(sess) -> set[str]:
    """Keys already registered in ``sess``'s current (outermost) transaction."""
    if not sess.in_transaction():
        sess.begin()  # as on_commit does: lazy, no connection until the first statement
    root = sess.get_transaction()
    held = sess.info.get("duework_signals")
    if held is None or held[0] is not root:
        held = sess.info["duework_signals"] = (root, set())
    return held[1]


def _after_commit(sess, key: str, action: Callable[[object, str], None]) -> None:
    """Run ``action(redis, tenant_id)`` once per transaction after ``sess`` commits
    (``shared.aftercommit.on_commit``: dropped on rollback).

    Never raises into the committed work: a lost signal is healed by the reconcile.
    """
    keys = _registered(sess)
    if key in keys:
        return
    keys.add(key)
    tenant_id = str(current_tenant().id)

    def fire() -> None:
        try:
            action(current_runtime().redis, tenant_id)
        except Exception:  # noqa: BLE001 - the reconcile heals a lost signal
            log.warning("due-work signal lost", extra={"tenant_id": tenant_id, "signal": key})

    on_commit(fire, session=sess)


def outbox_row_added(sess, due_at: datetime | None = None) -> None:
    """A tenant outbox row is due at ``due_at`` (default now): deliver it seconds after commit."""
    if due_at is not None and due_at > datetime.now(UTC):
        _after_commit(
            sess,
            f"outbox@{due_at.timestamp()}",
            lambda redis, tid: duework.signal(redis, tid, "outbox", due_at),
        )
        return
    _after_commit(sess, "outbox", lambda redis, tid: dispatch.run_now(redis, tid, "outbox"))


def booking_changed(sess, booking) -> None:
    """Record when this booking's reminder and deposit expiry fall due (read at commit)."""

    def action(redis, tenant_id) -> None:
        if booking.status == "CONFIRMED" and booking.starts_at is not None:
            duework.signal(redis, tenant_id, "reminders", booking.starts_at - REMINDER_LEAD)
        if booking.status == "PENDING" and booking.deposit_status == "pending":
            hold = timedelta(minutes=current_runtime().settings.deposit_hold_minutes)
            created = booking.created_at or datetime.now(UTC)
            duework.signal(redis, tenant_id, "deposits", created + hold)

    _after_commit(sess, f"booking:{booking.id}", action)


def tombstone_added(sess, tombstone) -> None:
    """The janitor's next try of this delete: a new tombstone's delete is tried right after
    commit, so the janitor comes a minute later; one that already failed, at its next attempt."""

    def action(redis, tenant_id) -> None:
        due = tombstone.next_attempt_at or datetime.now(UTC)
        if not tombstone.attempts:
            due += JANITOR_FIRST_RETRY
        duework.signal(redis, tenant_id, "janitor", due)

    _after_commit(sess, f"janitor:{tombstone.id}", action)


def charge_due(sess, due_at: datetime) -> None:
    """An auto-charge attempt is due at ``due_at``: now → charged seconds after commit."""
    if due_at > datetime.now(UTC):
        _after_commit(
            sess,
            f"charges@{due_at.timestamp()}",
            lambda redis, tid: duework.signal(redis, tid, "charges", due_at),
        )
        return
    _after_commit(sess, "charges", lambda redis, tid: dispatch.run_now(redis, tid, "charges"))


def dunning_due(sess, due_at: datetime) -> None:
    """An invoice's first ``invoice_overdue`` e-mail falls due at ``due_at``."""
    _after_commit(
        sess,
        f"dunning@{due_at.timestamp()}",
        lambda redis, tid: duework.signal(redis, tid, "dunning", due_at),
    )
