"""Hourly reporting to Stripe Billing Meters: identifiers as idempotency keys, retries, records."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from controlplane.billing.metering import report_usage_to_stripe
from controlplane.billing.models import MeterReport
from shared import db
from shared.entitlements import consume
from tests.billing.conftest import post_event
from tests.billing.helpers import Story

METER_PATH = "/v1/billing/meter_events"


@pytest.fixture(autouse=True)
def _drained(rt, stripe_stub):
    """Send what earlier tests left pending, so each test sees only its own usage."""
    report_usage_to_stripe()
    stripe_stub.reset()


def _reports(tenant_id) -> list[MeterReport]:
    db.close_session()
    return list(
        db.session().scalars(
            select(MeterReport)
            .where(MeterReport.tenant_id == uuid.UUID(tenant_id))
            .order_by(MeterReport.id)
        )
    )


def _subscribed_with_usage(client, rt, tenant) -> Story:
    story = Story(tenant.id)
    story.t0 = int(datetime.now(UTC).timestamp()) - 600
    post_event(client, story.checkout_completed())
    post_event(client, story.sub("updated", "active", dt=1))
    ref = rt.tenants.by_id(tenant.id)
    with db.transaction() as tx:
        consume(tx, ref, "bookings_created", 1, idempotency_key=f"b:{tenant.id}:1")
        consume(tx, ref, "bookings_created", 1, idempotency_key=f"b:{tenant.id}:2")
        consume(tx, ref, "api_requests", 40, idempotency_key=f"api_requests:{tenant.id}:x")
        consume(tx, ref, "active_workers", 2)  # a gauge: never reported
    db.close_session()
    return story


def test_meter_reporting_retried_after_a_500_sends_each_identifier_once(
    client, rt, tenant, stripe_stub
):
    story = _subscribed_with_usage(client, rt, tenant)
    stripe_stub.fail_next(3)  # the first event fails even after the SDK's two retries
    first = report_usage_to_stripe()
    assert first["failed"] == 1 and first["sent"] == 0
    reports = _reports(tenant.id)
    assert len(reports) == 3
    assert reports[0].sent_at is None and reports[0].attempts == 1 and reports[0].last_error

    second = report_usage_to_stripe()
    assert second["sent"] == 3 and second["failed"] == 0
    third = report_usage_to_stripe()
    assert third["sent"] == 0 and third["queued"] == 0

    calls = stripe_stub.calls(METER_PATH)
    for call in calls:
        assert call.idempotency_key == call.form["identifier"]
        assert call.form["payload[stripe_customer_id]"] == story.customer
    accepted = Counter(c.form["identifier"] for c in stripe_stub.succeeded(METER_PATH))
    reports = _reports(tenant.id)
    assert set(accepted) == {r.identifier for r in reports}
    assert set(accepted.values()) == {1}
    assert all(r.sent_at is not None for r in reports)
    assert reports[0].attempts == 2
    values = sorted((r.event_name, r.value) for r in reports)
    assert values == [
        ("cleanplane_api_requests", 40),
        ("cleanplane_bookings_created", 1),
        ("cleanplane_bookings_created", 1),
    ]


def test_a_lost_answer_is_resent_with_the_same_identifier(client, rt, tenant, stripe_stub):
    _subscribed_with_usage(client, rt, tenant)
    report_usage_to_stripe()
    # Simulate a crash after Stripe accepted but before we recorded it.
    with db.transaction() as tx:
        row = tx.scalars(
            select(MeterReport).where(MeterReport.tenant_id == uuid.UUID(tenant.id))
        ).first()
        row.sent_at = None
        identifier = row.identifier
    db.close_session()
    report_usage_to_stripe()
    resent = [c for c in stripe_stub.calls(METER_PATH) if c.form["identifier"] == identifier]
    assert len(resent) == 2
    assert {c.idempotency_key for c in resent} == {identifier}


def test_usage_without_a_customer_or_too_old_is_not_reported(
    client, rt, tenant, other_tenant, stripe_stub
):
    ref = rt.tenants.by_id(other_tenant.id)
    with db.transaction() as tx:
        consume(tx, ref, "bookings_created", 1, idempotency_key=f"b:{other_tenant.id}:1")
    db.close_session()
    _subscribed_with_usage(client, rt, tenant)
    result = report_usage_to_stripe(now=datetime.now(UTC) + timedelta(days=40))
    assert result["queued"] == 0
    assert _reports(other_tenant.id) == []
    assert stripe_stub.calls(METER_PATH) == []


def test_usage_from_before_the_subscription_is_reported_once_linked(
    client, rt, tenant, stripe_stub
):
    ref = rt.tenants.by_id(tenant.id)
    with db.transaction() as tx:
        consume(tx, ref, "bookings_created", 1, idempotency_key=f"early:{tenant.id}")
    db.close_session()
    assert report_usage_to_stripe()["queued"] == 0  # no customer yet
    story = Story(tenant.id)
    post_event(client, story.checkout_completed())
    result = report_usage_to_stripe()
    assert result["queued"] == 1 and result["sent"] == 1
    (call,) = stripe_stub.calls(METER_PATH)
    assert call.form["payload[stripe_customer_id]"] == story.customer
    assert call.form["payload[value]"] == "1"
