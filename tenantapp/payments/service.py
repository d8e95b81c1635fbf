"""Deposits through Stripe Connect: onboarding, the deposit checkout, refunds, expiry."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from shared import db
from shared.errors import ServiceUnavailable
from shared.models.connect import ConnectAccount
from shared.runtime import current_runtime
from shared.tenancy import current_tenant
from tenantapp.audit.service import record
from tenantapp.bookings.links import manage_url
from tenantapp.bookings.models import Booking
from tenantapp.leads.models import Lead
from tenantapp.payments import stripe_connect
from tenantapp.settings.models import TenantSettings

log = logging.getLogger("cleanplane.payments")


def connect_onboarding() -> dict:
    """Create the tenant's Express account once, then an onboarding link for it."""
    tenant = current_tenant()
    with db.transaction() as tx:
        settings = tx.get(TenantSettings, 1, with_for_update=True)
        account = settings.stripe_account_id
        if not account:
            account = stripe_connect.create_account(str(tenant.id), settings.contact_email).id
            settings.stripe_account_id = account
            tx.execute(
                insert(ConnectAccount)
                .values(account_id=account, tenant_id=tenant.id)
                .on_conflict_do_nothing()
            )
            record(tx, "payments.connect", "settings", 1, None, {"stripe_account_id": account})
    base = f"{current_runtime().settings.public_base_url.rstrip('/')}/t/{tenant.slug}"
    link = stripe_connect.create_account_link(
        account,
        refresh_url=f"{base}/payments/connect/refresh",
        return_url=f"{base}/payments/connect/done",
    )
    return {"account_id": account, "url": link.url}


def start_deposit(booking: Booking, settings: TenantSettings) -> None:
    """Open the deposit Checkout Session (idempotency key ``deposit:<booking id>``)."""
    lead = db.session().get(Lead, booking.lead_id)
    expires = stripe_connect.checkout_expiry()
    session = stripe_connect.create_deposit_session(
        account=settings.stripe_account_id,
        booking_id=booking.id,
        tenant_id=str(current_tenant().id),
        amount_cents=booking.deposit_amount_cents,
        currency=lead.estimate.get("currency", "CAD"),
        description=f"Deposit for your cleaning with {settings.company_name}",
        return_url=manage_url(booking.id),
        expires_at=expires,
    )
    booking.deposit_status = "pending"
    booking.deposit_checkout_session_id = session.id
    booking.deposit_checkout_url = session.url
    booking.deposit_expires_at = expires


def refund_deposit(booking: Booking) -> bool:
    """Send the booking's refund to Stripe (after the cancellation committed)."""
    settings = db.session().get(TenantSettings, 1)
    try:
        stripe_connect.refund(
            settings.stripe_account_id,
            booking.deposit_payment_intent_id,
            booking.refund_cents,
            booking.id,
        )
    except ServiceUnavailable:
        log.warning(
            "deposit refund failed; it is retried from the booking",
            extra={"booking_id": booking.id},
        )
        return False
    return True


def expire_unpaid_deposits(now: datetime | None = None) -> dict:
    """Cancel PENDING bookings whose deposit is unpaid past DEPOSIT_HOLD_MINUTES; free the slot
    and expire their Checkout Session."""
    from tenantapp.bookings.service import cancel_locked

    now = now or datetime.now(UTC)
    hold = timedelta(minutes=current_runtime().settings.deposit_hold_minutes)
    expired = []
    with db.transaction() as tx:
        rows = tx.scalars(
            select(Booking)
            .where(
                Booking.status == "PENDING",
                Booking.deposit_status == "pending",
                Booking.created_at <= now - hold,
            )
            .with_for_update(skip_locked=True)
        ).all()
        for booking in rows:
            cancel_locked(tx, booking, "deposit not paid in time", "system", now)
            if booking.deposit_checkout_session_id:
                expired.append(booking.deposit_checkout_session_id)
    account = db.session().get(TenantSettings, 1).stripe_account_id
    failed = 0
    for session_id in expired:
        try:
            stripe_connect.expire_session(account, session_id)
        except ServiceUnavailable:
            failed += 1  # the session still expires on its own at expires_at
    return {"cancelled": len(rows), "sessions_not_expired": failed}
