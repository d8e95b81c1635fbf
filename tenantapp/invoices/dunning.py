"""Dunning (SPEC §5.11): ``invoice_overdue`` to the customer 3 and 7 days after the due date,
once each (``dunning_stage`` on the invoice and the dedupe key ``invoice_overdue:<id>:<days>``),
with the pay link. Only invoices still owed (ISSUED, PARTIALLY_PAID with something due) are
dunned; REFUNDED and VOID never. Days are tenant-local calendar days; the e-mail goes from
09:00 local on that day. When the job was down past both days, only the 7-day one is sent.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import DateTime, Select, and_, case, cast, func, or_, select

from jobs import signals
from shared import db
from tenantapp.audit.service import record
from tenantapp.invoices import notifications, state
from tenantapp.invoices.models import Invoice
from tenantapp.settings.service import tenant_zone

STAGES = ((1, 3), (2, 7))  # (stage reached, days after the due date)
SEND_HOUR = 9
BATCH = 200

_OWED = and_(
    Invoice.status.in_(state.OPEN),
    Invoice.total_cents - Invoice.credited_cents - Invoice.paid_cents + Invoice.refunded_cents > 0,
    Invoice.due_date.isnot(None),
    Invoice.dunning_stage < 2,
)


def next_due(zone_name: str) -> Select:
    """The next moment an overdue e-mail falls due (09:00 local on day 3 or 7 after due)."""
    days = case((Invoice.dunning_stage == 0, 3), else_=7)
    local = cast(Invoice.due_date + days, DateTime) + timedelta(hours=SEND_HOUR)
    return select(func.min(func.timezone(zone_name, local))).where(_OWED)


def _today(now: datetime) -> date:
    local = now.astimezone(tenant_zone())
    return local.date() if local.hour >= SEND_HOUR else local.date() - timedelta(days=1)


def run_dunning(now: datetime | None = None) -> dict:
    """Queue the overdue e-mails due at ``now`` → ``{"sent": n}``."""
    now = now or datetime.now(UTC)
    today = _today(now)
    ids = list(
        db.session().scalars(
            select(Invoice.id)
            .where(
                _OWED,
                or_(
                    and_(Invoice.dunning_stage == 0, Invoice.due_date <= today - timedelta(3)),
                    Invoice.due_date <= today - timedelta(7),
                ),
            )
            .order_by(Invoice.id)
            .limit(BATCH)
        )
    )
    db.session().rollback()
    sent = 0
    for invoice_id in ids:
        with db.transaction() as tx:
            inv = state.locked(tx, invoice_id)
            if inv.status not in state.OPEN or state.amount_due(inv) <= 0:
                continue
            late = (today - inv.due_date).days
            reached = [(stage, days) for stage, days in STAGES if late >= days]
            if not reached or reached[-1][0] <= inv.dunning_stage:
                continue
            stage, days = reached[-1]
            inv.dunning_stage = stage
            if notifications.invoice_overdue(tx, inv, state.amount_due(inv), days, late):
                sent += 1
            record(tx, "invoice.overdue_notice", "invoice", inv.id, None, {"days": days})
    return {"sent": sent}


def first_notice_at(due: date) -> datetime:
    """09:00 tenant-local, 3 days after ``due``."""
    local = datetime.combine(due + timedelta(days=3), datetime.min.time(), tenant_zone())
    return (local + timedelta(hours=SEND_HOUR)).astimezone(UTC)


def schedule(tx, inv: Invoice) -> None:
    """At issue: tell the due-work index when this invoice's first overdue e-mail falls due."""
    if inv.due_date is not None and state.amount_due(inv) > 0:
        signals.dunning_due(tx, first_notice_at(inv.due_date))
