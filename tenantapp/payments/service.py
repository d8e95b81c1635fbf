"""The Stripe Connect gateway: onboarding, the deposit Checkout Session, refunds, expiry.

Only Stripe calls and the connected-account row live here; what a deposit means for a booking
(when one is due, what paying or expiring does) is ``tenantapp.bookings.deposits``.
"""

from __future__ import annotations

import logging

from sqlalchemy.dialects.postgresql import insert

from shared import db
from shared.errors import ServiceUnavailable
from shared.models.connect import ConnectAccount
from shared.runtime import current_runtime
from shared.tenancy import current_tenant
from tenantapp.audit.service import record
from tenantapp.payments import cards, stripe_connect
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


def open_deposit_checkout(
    settings: TenantSettings,
    *,
    booking_id: int,
    amount_cents: int,
    currency: str,
    return_url: str,
    customer_id: int | None = None,
):
    """Open the deposit Checkout Session (idempotency key ``deposit:<booking id>``).

    The booking's figures come from ``bookings.deposits``: the gateway reads no booking.
    Returns ``(session, expires_at)``; raises ``ServiceUnavailable`` when Stripe cannot be reached.
    """
    expires = stripe_connect.checkout_expiry()
    card = cards.card_of(db.session(), customer_id) if customer_id is not None else None
    session = stripe_connect.create_deposit_session(
        account=settings.stripe_account_id,
        booking_id=booking_id,
        tenant_id=str(current_tenant().id),
        amount_cents=amount_cents,
        currency=currency,
        description=f"Deposit for your cleaning with {settings.company_name}",
        return_url=return_url,
        expires_at=expires,
        stripe_customer=card.stripe_customer_id if card else None,
    )
    return session, expires


def refund_deposit(payment_intent_id: str, amount_cents: int, booking_id: int) -> bool:
    """Send a booking's refund to Stripe (after the cancellation committed)."""
    settings = db.session().get(TenantSettings, 1)
    try:
        stripe_connect.refund(
            settings.stripe_account_id, payment_intent_id, amount_cents, booking_id
        )
    except ServiceUnavailable:
        log.warning(
            "deposit refund failed; it is retried from the booking",
            extra={"booking_id": booking_id},
        )
        return False
    return True


def apply_account_update(tx, account: dict) -> str:
    """``account.updated`` on the connected account: keep ``payouts_ready`` in step; audited."""
    settings = tx.get(TenantSettings, 1, with_for_update=True)
    ready = bool(account.get("charges_enabled")) and bool(account.get("payouts_enabled"))
    if settings.payouts_ready != ready:
        record(
            tx,
            "payments.account",
            "settings",
            1,
            {"payouts_ready": settings.payouts_ready},
            {"payouts_ready": ready},
        )
        settings.payouts_ready = ready
    return "updated"


def expire_checkouts(session_ids: list[str]) -> int:
    """Expire these Checkout Sessions on the tenant's account → how many could not be expired.

    A session left open still expires on its own at its ``expires_at``.
    """
    account = db.session().get(TenantSettings, 1).stripe_account_id
    failed = 0
    for session_id in session_ids:
        try:
            stripe_connect.expire_session(account, session_id)
        except ServiceUnavailable:
            failed += 1
    return failed
