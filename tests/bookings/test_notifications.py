"""Leads and bookings queue their e-mails (and the lead export) in their own transaction."""

from datetime import timedelta

from sqlalchemy import select

from shared import db
from shared.tenancy import tenant_context
from tenantapp.bookings.reminders import scan_reminders
from tenantapp.outbox.models import OutboxMessage
from tests.bookings.conftest import at, book, make_lead


def outbox(rt, tenant) -> list[tuple[str, str]]:
    with tenant_context(rt.tenants.by_slug(tenant.slug)):
        rows = (
            db.session()
            .execute(
                select(OutboxMessage.topic, OutboxMessage.recipient).order_by(OutboxMessage.id)
            )
            .all()
        )
    return [(r.topic, r.recipient) for r in rows]


def test_lead_thanks_the_customer_and_notifies_the_contact(client, tenant, rt):
    make_lead(client, tenant, email="pat@example.com")
    assert outbox(rt, tenant) == [
        ("lead_received", "pat@example.com"),
        ("lead_notification", tenant.email),  # the signup e-mail is the contact address
    ]


def test_booking_lifecycle_mails(client, tenant, rt, day):
    lead = make_lead(client, tenant, email="pat@example.com")
    b = book(client, tenant, lead["lead_id"], at(day, "09:00")).get_json()
    client.post(tenant.url(f"/admin/bookings/{b['id']}/confirm"), headers=tenant.headers)
    client.post(
        tenant.url(f"/admin/bookings/{b['id']}/cancel"),
        json={"reason": "moving"},
        headers=tenant.headers,
    )
    topics = [t for t, to in outbox(rt, tenant) if to == "pat@example.com"]
    assert topics == ["lead_received", "booking_pending", "booking_confirmed", "booking_cancelled"]


def test_reminder_once_per_booking_within_24_hours(client, tenant, rt, day):
    from datetime import datetime

    lead = make_lead(client, tenant, email="pat@example.com")
    b = book(client, tenant, lead["lead_id"], at(day, "09:00")).get_json()
    client.post(tenant.url(f"/admin/bookings/{b['id']}/confirm"), headers=tenant.headers)
    start = datetime.fromisoformat(b["starts_at"].replace("Z", "+00:00"))
    with tenant_context(rt.tenants.by_slug(tenant.slug)):
        assert scan_reminders(now=start - timedelta(hours=24, seconds=1)) == {
            "queued": 0,
            "skipped": 0,
        }
        assert scan_reminders(now=start - timedelta(hours=24)) == {"queued": 1, "skipped": 0}
        assert scan_reminders(now=start - timedelta(hours=2)) == {"queued": 0, "skipped": 1}
        assert scan_reminders(now=start) == {"queued": 0, "skipped": 0}  # started: not due
        db.close_session()
    assert [t for t, _ in outbox(rt, tenant)].count("booking_reminder_24h") == 1


def test_resend_last_email_once_per_idempotency_key(client, tenant, rt, day):
    lead = make_lead(client, tenant, email="pat@example.com")
    b = book(client, tenant, lead["lead_id"], at(day, "09:00")).get_json()
    url = tenant.url(f"/admin/bookings/{b['id']}/resend-last-email")
    assert client.post(url, headers=tenant.headers).status_code == 400  # key required
    headers = {**tenant.headers, "Idempotency-Key": "resend-1"}
    first = client.post(url, headers=headers)
    assert first.status_code == 200 and first.get_json()["topic"] == "booking_pending"
    again = client.post(url, headers=headers)
    assert again.get_json()["id"] == first.get_json()["id"]
    pending = [t for t, to in outbox(rt, tenant) if t == "booking_pending"]
    assert len(pending) == 2  # the original and exactly one resend
    assert (
        client.post(
            tenant.url("/admin/bookings/999999/resend-last-email"),
            headers={**tenant.headers, "Idempotency-Key": "x"},
        ).status_code
        == 404
    )
