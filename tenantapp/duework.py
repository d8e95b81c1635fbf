"""What each due-work kind runs and how its next due time is read (``jobs.duework.KINDS``).

Every ``*_next_due(now, rebuild=False)`` returns a scalar select of one ``timestamptz`` (NULL: no
work), answered by an index of the feature's table, so the reconcile reads a tenant with one
cheap query per kind. Every ``run_*()`` runs inside the tenant's context and returns a summary.
The work itself stays in its feature; this module only adapts it to the index.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from sqlalchemy import Select, func, select

import tenantapp.models  # noqa: F401 - every tenant table, so mappers resolve foreign keys
from shared import db
from shared.idempotency import TTL as IDEMPOTENCY_TTL
from shared.idempotency import TenantIdempotencyKey, purge_expired
from shared.runtime import current_runtime
from tenantapp.bookings.deposits import expire_unpaid_deposits
from tenantapp.bookings.models import Booking
from tenantapp.bookings.reminders import scan_reminders
from tenantapp.invoices import dunning
from tenantapp.invoices.autocharge import run_due_charges
from tenantapp.outbox.delivery import deliver_due
from tenantapp.outbox.models import OutboxMessage
from tenantapp.payments.models import InvoiceCharge
from tenantapp.photos.janitor import janitor_run
from tenantapp.photos.models import StorageTombstone
from tenantapp.settings.service import tenant_zone

OUTBOX_BATCH = 50
OUTBOX_BUDGET_SECONDS = 30  # one run delivers batches until nothing is due or this is spent
REMINDER_HORIZON = timedelta(hours=24)
IDEMPOTENCY_SLACK = timedelta(hours=1)  # expired keys are purged in hourly batches at most


# ---------------------------------------------------------------- outbox
def run_outbox() -> dict:
    """Deliver every due outbox row (batch after batch, within a time budget)."""

    totals: dict[str, int] = {}
    started = time.monotonic()
    while True:
        report = deliver_due(batch=OUTBOX_BATCH).as_dict()
        for key, value in report.items():
            totals[key] = totals.get(key, 0) + value
        handled = report["sent"] + report["retried"] + report["dead"] + report["skipped"]
        if handled < OUTBOX_BATCH or report["deferred"]:
            return totals
        if time.monotonic() - started > OUTBOX_BUDGET_SECONDS:
            return totals


def outbox_next_due(now: datetime, rebuild: bool = False) -> Select:
    """The earliest pending or leased row (partial index ``ix_outbox_due``)."""
    return select(func.min(OutboxMessage.next_attempt_at)).where(
        OutboxMessage.status.in_(("pending", "sending"))
    )


# ---------------------------------------------------------------- reminders
def run_reminders() -> dict:
    """Queue the 24-hour reminders now due (once per booking and recipient, by dedupe key)."""

    return scan_reminders()


def reminders_next_due(now: datetime, rebuild: bool = False) -> Select:
    """When the next confirmed booking enters its 24-hour reminder window.

    After a scan at ``now`` every booking starting within 24 h was handled, so the next one is
    the first starting after ``now + 24 h``. The reconcile (``rebuild``) cannot know which
    bookings were reminded, so it also counts those starting within 24 h: the scan then finds
    their dedupe keys taken, and a lost signal never loses a reminder.
    """
    after = now if rebuild else now + REMINDER_HORIZON
    return select(func.min(Booking.starts_at) - REMINDER_HORIZON).where(
        Booking.status == "CONFIRMED", Booking.starts_at > after
    )


# ---------------------------------------------------------------- deposits
def run_deposits() -> dict:
    """Cancel the bookings whose deposit went unpaid past ``DEPOSIT_HOLD_MINUTES``."""

    return expire_unpaid_deposits()


def deposits_next_due(now: datetime, rebuild: bool = False) -> Select:
    """The oldest unpaid deposit hold, plus the hold (index ``ix_bookings_status_id``)."""
    hold = timedelta(minutes=current_runtime().settings.deposit_hold_minutes)
    return select(func.min(Booking.created_at) + hold).where(
        Booking.status == "PENDING", Booking.deposit_status == "pending"
    )


# ---------------------------------------------------------------- storage janitor
def run_janitor() -> dict:
    """Retry the tenant's due storage deletes."""

    return janitor_run()


def janitor_next_due(now: datetime, rebuild: bool = False) -> Select:
    """The next tombstone to retry (index ``ix_storage_tombstones_due``); given-up ones wait for
    a person, not for the janitor."""
    return select(func.min(StorageTombstone.next_attempt_at)).where(
        StorageTombstone.gave_up_at.is_(None)
    )


# ---------------------------------------------------------------- idempotency keys
def run_idempotency_purge() -> dict:
    """Delete the tenant's Idempotency-Keys older than 24 h."""
    with db.transaction() as tx:
        return {"purged": purge_expired(tx)}


def idempotency_next_due(now: datetime, rebuild: bool = False) -> Select:
    """When the oldest stored key expires, plus an hour so expiries are purged in batches."""
    return select(func.min(TenantIdempotencyKey.created_at) + IDEMPOTENCY_TTL + IDEMPOTENCY_SLACK)


# ---------------------------------------------------------------- auto-charges
def run_charges() -> dict:
    """Charge the cards on file whose attempt is due (first tries and the 3- and 7-day retries)."""
    return run_due_charges()


def charges_next_due(now: datetime, rebuild: bool = False) -> Select:
    """The next pending attempt (partial index ``ix_invoice_charges_due``)."""
    return select(func.min(InvoiceCharge.next_attempt_at)).where(InvoiceCharge.status == "pending")


# ---------------------------------------------------------------- dunning
def run_dunning() -> dict:
    """Queue the invoice_overdue e-mails now due (3 and 7 days after due dates)."""
    return dunning.run_dunning()


def dunning_next_due(now: datetime, rebuild: bool = False) -> Select:
    """09:00 local on the next 3rd or 7th day after a due date (index ``ix_invoices_status_due``)."""
    return dunning.next_due(tenant_zone().key)
