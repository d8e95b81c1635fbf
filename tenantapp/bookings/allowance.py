"""The booking allowance (SPEC §4.4): what a booking counts, when it gives its unit back, and the
cap on bookings left waiting without a deposit — so anonymous callers cannot drain a plan.

- A booking consumes one ``bookings_created`` unit in the period that contains its **start**
  (``entitlements.counted_at``), under the idempotency key ``booking:<tenant>:<booking>``.
- A booking cancelled (by anyone, expiry included) while PENDING and never paid gives that unit
  back to the period it was counted in, once (``booking-release:<tenant>:<booking>``). A
  CONFIRMED or paid booking keeps its unit: real work was booked.
- A plan visit (SPEC §5.10) consumes its unit under ``plan:<tenant>:<plan>:<date>`` (a visit
  revived after a pause or change: ``...:<date>:<life>``), recorded in its ``policy_snapshot`` as
  ``usage_key``, and gives it back when cancelled or skipped before it starts, whatever its status.
- A public booking that would wait PENDING with no deposit (no Stripe account, Stripe down):
  such bookings never expire, so at most ``max_pending_without_deposit`` (tenant setting,
  default 50) may exist; the next gets 409 ``conflict`` (a state, not a rate: it clears when
  staff confirm or cancel, so there is no honest Retry-After for a 429).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import func, select

from shared.entitlements import consume, counted_at, release
from shared.errors import Conflict
from shared.tenancy import current_tenant
from tenantapp.bookings.models import Booking
from tenantapp.settings.models import TenantSettings


def _key(booking: Booking) -> str:
    return f"booking:{current_tenant().id}:{booking.id}"


def count_booking(tx, booking: Booking, now: datetime) -> None:
    """Consume the booking's unit in the period of its start (402 ``limit_reached`` when full)."""
    consume(
        tx,
        current_tenant(),
        "bookings_created",
        1,
        idempotency_key=_key(booking),
        now=counted_at(booking.starts_at, now),
    )


def plan_visit_key(plan_id: int, day: date, life: int = 0) -> str:
    """A plan visit's key: ``plan:<id>:<date>`` scoped by the tenant (usage keys are unique across
    the platform, plan ids per tenant schema), plus the visit's life once revived."""
    key = f"plan:{current_tenant().id}:{plan_id}:{day.isoformat()}"
    return key if not life else f"{key}:{life}"


def count_plan_visit(tx, booking: Booking, now: datetime) -> None:
    """Consume a plan visit's unit in the period of its start (402 when full), once per life;
    the key is kept in the visit's policy snapshot for its release."""
    snapshot = dict(booking.policy_snapshot or {})
    key = snapshot.get("usage_key") or plan_visit_key(
        booking.plan_id, booking.occurrence_date, int(snapshot.get("life", 0))
    )
    consume(
        tx,
        current_tenant(),
        "bookings_created",
        1,
        idempotency_key=key,
        now=counted_at(booking.starts_at, now),
    )
    booking.policy_snapshot = {**snapshot, "usage_key": key}


def gives_unit_back(booking: Booking, now: datetime | None = None) -> bool:
    """Whether cancelling ``booking`` now releases its unit: PENDING with no deposit paid, or a
    plan visit that has not started."""
    if booking.plan_id is not None:
        return booking.starts_at > (now or datetime.now(UTC))
    return booking.status == "PENDING" and booking.deposit_status not in ("paid", "refunded")


def release_booking(tx, booking: Booking) -> None:
    """Give the booking's unit back to the period it was counted in (idempotent)."""
    key = (booking.policy_snapshot or {}).get("usage_key")
    if key:
        release(tx, current_tenant(), key, f"{key}:release")
        return
    release(
        tx, current_tenant(), _key(booking), f"booking-release:{current_tenant().id}:{booking.id}"
    )


def lock_pending_cap(tx) -> None:
    """Serialise the cap check per tenant, so two racing requests cannot both take the last place."""
    key = f"pending-cap:{current_tenant().schema_name}"
    tx.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(key, 0))))


def check_pending_cap(tx, booking: Booking, settings: TenantSettings) -> None:
    """409 when ``booking`` would wait PENDING without a deposit and the cap is already full."""
    if booking.status != "PENDING" or booking.deposit_status is not None:
        return
    lock_pending_cap(tx)
    waiting = tx.scalar(
        select(func.count()).where(
            Booking.status == "PENDING",
            Booking.deposit_status.is_(None),
            Booking.id != booking.id,
        )
    )
    cap = settings.max_pending_without_deposit
    if waiting >= cap:
        raise Conflict(
            f"This company already has {cap} bookings waiting for confirmation; it cannot take "
            "more online right now. Please contact them directly.",
            pending_limit=cap,
        )
