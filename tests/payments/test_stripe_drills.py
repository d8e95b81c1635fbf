"""Drill (slow): Stripe answering 500 and timing out while a customer books with a deposit.

The booking is made without a deposit (downgraded), exactly once, and nothing refers to a
checkout session that was never created. Lives here for the payments fixtures (stub runtime)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from shared import db
from shared import stripe as stripe_mod
from shared.tenancy import tenant_context
from tenantapp.bookings.models import Booking
from tests.bookings.conftest import at, book, make_lead, monday

pytestmark = pytest.mark.slow


@pytest.fixture()
def short_stripe_timeout(monkeypatch):
    monkeypatch.setattr(stripe_mod, "READ_TIMEOUT", 0.5)
    stripe_mod._client.cache_clear()
    yield
    stripe_mod._client.cache_clear()


def _bookings_of(rt, tenant, lead_id) -> int:
    with tenant_context(rt.tenants.by_slug(tenant.slug)):
        count = db.session().scalar(
            select(func.count()).select_from(Booking).where(Booking.lead_id == lead_id)
        )
        db.close_session()
    return count


@pytest.mark.parametrize("fault", ["500", "timeout"])
def test_stripe_fault_books_once_without_a_deposit(
    client, connected, rt, stripe_stub, short_stripe_timeout, fault
):
    tenant, _ = connected
    if fault == "500":
        stripe_stub.fail_next(10)
    else:
        stripe_stub.delay_next(10, 1.0)
    lead = make_lead(client, tenant)
    resp = book(client, tenant, lead["lead_id"], at(monday(), "09:00"))
    assert resp.status_code == 201, resp.get_json()
    b = resp.get_json()
    assert b["status"] == "PENDING" and b["deposit"]["status"] is None
    assert b["deposit"]["downgraded_reason"] == "stripe_unavailable"
    assert b["deposit"].get("checkout_url") is None
    assert _bookings_of(rt, tenant, lead["lead_id"]) == 1
    calls = stripe_stub.calls("/v1/checkout/sessions")
    assert calls and (fault == "timeout" or len(calls) == 3)  # 500s: the SDK's two retries
    assert len({c.idempotency_key for c in calls}) == 1  # at most one session at Stripe
    if fault == "500":
        assert stripe_stub.succeeded("/v1/checkout/sessions") == []
    # on a timeout Stripe may have made the session after we gave up: the booking does not point
    # at it (checkout_url None above) and Stripe expires it

    # Stripe is back: the same slot is not booked twice, a new booking gets its deposit
    stripe_stub.reset()
    again = book(client, tenant, lead["lead_id"], at(monday(), "09:00"))
    assert again.status_code in (409, 422)
    assert _bookings_of(rt, tenant, lead["lead_id"]) == 1
