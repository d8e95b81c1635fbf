"""What bookings text: the confirmation, the 24-hour reminder (e-mail only without consent),
automated texts over the plan (skipped, e-mail still sent, staff told once), quiet hours at
delivery, "on my way" once per booking, and the message preview."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from shared import db
from shared.tenancy import tenant_context
from tenantapp.bookings.reminders import scan_reminders
from tenantapp.outbox.models import OutboxMessage
from tests.bookings.conftest import at, book, make_lead, monday
from tests.sms.conftest import (
    deliver,
    inbound,
    new_number,
    outbox_rows,
    set_sms_from,
    set_sms_used,
    sms_rows,
)
from tests.workforce.helpers import assign, make_worker


def no_quiet_hours(client, tenant):
    """Tests that are not about quiet hours must not depend on the hour they run at."""
    resp = client.patch(
        tenant.url("/admin/settings"),
        json={"sms_quiet_start": "00:00", "sms_quiet_end": "00:00"},
        headers=tenant.headers,
    )
    assert resp.status_code == 200, resp.get_json()


def confirmed_booking(client, tenant, *, opted_in: bool, number: str, weeks: int = 2):
    phone = new_number()
    if opted_in:
        inbound(client, number, phone, "START")
    lead = make_lead(client, tenant, phone=phone, email=f"{phone[1:]}@example.com")
    day = monday(weeks)
    b = book(client, tenant, lead["lead_id"], at(day, "09:00")).get_json()
    resp = client.post(tenant.url(f"/admin/bookings/{b['id']}/confirm"), headers=tenant.headers)
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json(), phone


def test_confirmation_is_texted_to_a_customer_who_opted_in(client, rt, tenant, twilio):
    number = set_sms_from(client, tenant)
    no_quiet_hours(client, tenant)
    booking, phone = confirmed_booking(client, tenant, opted_in=True, number=number)
    (row,) = [r for r in sms_rows(rt, tenant) if r.direction == "out"]
    assert row.template == "booking_confirmed" and row.booking_id == booking["id"]
    deliver(rt, tenant)
    (sent,) = twilio.sent
    assert sent.to == phone
    assert "confirmed for" in sent.body and "/bookings/" in sent.body
    assert sent.body.endswith("Reply STOP to opt out.")


def test_reminder_to_an_opted_out_customer_goes_by_email_only(client, rt, tenant):
    number = set_sms_from(client, tenant)
    no_quiet_hours(client, tenant)
    quiet, _ = confirmed_booking(client, tenant, opted_in=False, number=number)
    texted, _ = confirmed_booking(client, tenant, opted_in=True, number=number, weeks=3)
    with tenant_context(rt.tenants.by_id(tenant.id)):
        for b in (quiet, texted):
            start = datetime.fromisoformat(b["starts_at"].replace("Z", "+00:00"))
            scan_reminders(now=start - timedelta(hours=2))
            scan_reminders(now=start - timedelta(hours=1))  # again: nothing twice
        db.close_session()
    sms = [(r.booking_id, r.template) for r in sms_rows(rt, tenant) if r.direction == "out"]
    assert (quiet["id"], "booking_reminder_24h") not in sms
    assert sms.count((texted["id"], "booking_reminder_24h")) == 1
    emails = [r.dedupe_key for r in outbox_rows(rt, tenant, "email")]
    assert any(k.startswith(f"reminder_24h:{quiet['id']}:") for k in emails)
    assert any(k.startswith(f"reminder_24h:{texted['id']}:") for k in emails)


def test_over_the_plan_an_automated_text_is_skipped_the_email_sent_and_staff_told_once(
    client, rt, tenant, twilio
):
    number = set_sms_from(client, tenant)
    no_quiet_hours(client, tenant)
    first, _ = confirmed_booking(client, tenant, opted_in=True, number=number)
    second, _ = confirmed_booking(client, tenant, opted_in=True, number=number, weeks=3)
    set_sms_used(rt, tenant, 50)
    deliver(rt, tenant)
    assert twilio.sent == []
    outbound = [r for r in sms_rows(rt, tenant) if r.direction == "out"]
    assert [(r.status, r.reason) for r in outbound] == [("skipped", "limit_reached")] * 2
    sms_outbox = outbox_rows(rt, tenant)
    assert {(r.status, r.last_error) for r in sms_outbox} == {("skipped", "limit_reached")}
    emails = outbox_rows(rt, tenant, "email")
    assert sum(r.topic == "booking_confirmed" for r in emails) == 2  # e-mail still goes
    assert sum(r.topic == "sms_limit_reached" for r in emails) == 1  # staff told once


def test_an_automated_text_due_in_quiet_hours_waits_until_0800_local(client, rt, tenant, twilio):
    number = set_sms_from(client, tenant)
    no_quiet_hours(client, tenant)
    confirmed_booking(client, tenant, opted_in=True, number=number)
    client.patch(
        tenant.url("/admin/settings"),
        json={"sms_quiet_start": "21:00", "sms_quiet_end": "08:00"},
        headers=tenant.headers,
    )
    evening = datetime(2030, 1, 15, 4, 0, tzinfo=UTC)  # 21:00 MST on the 14th
    with tenant_context(rt.tenants.by_id(tenant.id)):
        with db.transaction() as tx:
            tx.execute(
                update(OutboxMessage)
                .where(OutboxMessage.kind == "sms")
                .values(next_attempt_at=evening - timedelta(minutes=5))
            )
        db.close_session()
    deliver(rt, tenant, now=evening - timedelta(minutes=1))  # 20:59: goes
    assert len(twilio.sent) == 1
    confirmed_booking(client, tenant, opted_in=True, number=number, weeks=3)
    with tenant_context(rt.tenants.by_id(tenant.id)):
        with db.transaction() as tx:
            tx.execute(
                update(OutboxMessage)
                .where(OutboxMessage.kind == "sms", OutboxMessage.status == "pending")
                .values(next_attempt_at=evening - timedelta(minutes=5))
            )
        db.close_session()
    deliver(rt, tenant, now=evening)  # 21:00: waits
    assert len(twilio.sent) == 1
    waiting = [r for r in outbox_rows(rt, tenant) if r.status == "pending"]
    assert [(r.attempts, r.next_attempt_at) for r in waiting] == [
        (0, datetime(2030, 1, 15, 15, 0, tzinfo=UTC))  # 08:00 MST
    ]
    deliver(rt, tenant, now=datetime(2030, 1, 15, 14, 59, tzinfo=UTC))  # 07:59: not due
    assert len(twilio.sent) == 1
    deliver(rt, tenant, now=datetime(2030, 1, 15, 15, 0, tzinfo=UTC))  # 08:00
    assert len(twilio.sent) == 2


def test_on_my_way_texts_the_customer_once_per_booking(client, rt, tenant, twilio):
    number = set_sms_from(client, tenant)
    booking, phone = confirmed_booking(client, tenant, opted_in=True, number=number)
    worker = make_worker(client, tenant, name="Maria Lopez")
    assert assign(client, tenant, booking["id"], worker.id).status_code == 200
    url = tenant.url(f"/worker/jobs/{booking['id']}/on-my-way")
    resp = client.post(url, json={"eta_minutes": 15}, headers=worker.headers)
    assert resp.status_code == 200, resp.get_json()
    assert "Maria is on the way and should arrive in about 15 minutes" in resp.get_json()["body"]
    again = client.post(url, json={}, headers=worker.headers)
    assert again.status_code == 409 and again.get_json()["code"] == "conflict"
    assert client.post(url, json={"eta_minutes": 0}, headers=worker.headers).status_code == 422
    # Not automated: it goes at once, whatever the hour.
    deliver(rt, tenant, now=datetime(2030, 1, 15, 6, 0, tzinfo=UTC))
    assert [s.to for s in twilio.sent if "on the way" in s.body] == [phone]


def test_on_my_way_needs_consent_and_the_workers_own_job(client, rt, tenant, other_tenant):
    number = set_sms_from(client, tenant)
    booking, _ = confirmed_booking(client, tenant, opted_in=False, number=number)
    worker = make_worker(client, tenant)
    other = make_worker(client, tenant, team_id=None)
    assign(client, tenant, booking["id"], worker.id)
    url = tenant.url(f"/worker/jobs/{booking['id']}/on-my-way")
    resp = client.post(url, json={}, headers=worker.headers)
    assert resp.status_code == 409 and resp.get_json()["code"] == "opted_out"
    assert client.post(url, json={}, headers=other.headers).status_code == 404
    stranger = make_worker(client, other_tenant)
    assert client.post(url, json={}, headers=stranger.headers).status_code in (401, 403)
    assert client.post(url, json={}, headers=tenant.headers).status_code == 403


def test_preview_renders_sms_and_email_without_sending(client, rt, tenant, other_tenant):
    number = set_sms_from(client, tenant)
    booking, _ = confirmed_booking(client, tenant, opted_in=True, number=number)
    before = len(outbox_rows(rt, tenant)) + len(outbox_rows(rt, tenant, "email"))
    base = tenant.url(f"/admin/messages/preview?booking_id={booking['id']}")
    sms = client.get(f"{base}&template=booking_reminder_24h&channel=sms", headers=tenant.headers)
    assert sms.status_code == 200, sms.get_json()
    body = sms.get_json()
    assert body["channel"] == "sms" and "reminder" in body["text"]
    assert body["segments"] >= 1 and body["encoding"] == "GSM-7"
    email = client.get(f"{base}&template=booking_confirmed&channel=email", headers=tenant.headers)
    assert email.status_code == 200
    assert email.get_json()["subject"] and "<" in email.get_json()["html"]
    for template in ("on_my_way", "invoice_issued", "review_request", "booking_confirmed"):
        resp = client.get(f"{base}&template={template}", headers=tenant.headers)
        assert resp.status_code == 200, (template, resp.get_json())
    assert client.get(f"{base}&template=nope", headers=tenant.headers).status_code == 422
    assert (
        client.get(f"{base}&template=on_my_way&channel=email", headers=tenant.headers).status_code
        == 422
    )
    missing = tenant.url("/admin/messages/preview?booking_id=999999&template=on_my_way")
    assert client.get(missing, headers=tenant.headers).status_code == 404
    theirs = other_tenant.url(
        f"/admin/messages/preview?booking_id={booking['id']}&template=on_my_way"
    )
    assert client.get(theirs, headers=other_tenant.headers).status_code == 404
    after = len(outbox_rows(rt, tenant)) + len(outbox_rows(rt, tenant, "email"))
    assert after == before


def test_an_issued_invoice_is_texted_with_its_pay_link(client, rt, tenant, twilio):
    number = set_sms_from(client, tenant)
    no_quiet_hours(client, tenant)
    booking, phone = confirmed_booking(client, tenant, opted_in=True, number=number)
    done = client.post(
        tenant.url(f"/admin/bookings/{booking['id']}/complete"), headers=tenant.headers
    )
    assert done.status_code == 200, done.get_json()
    (row,) = [r for r in sms_rows(rt, tenant) if r.template == "invoice_issued"]
    assert row.booking_id == booking["id"]
    assert "is ready. Pay: [link]" in row.body  # the thread hides the signed link
    deliver(rt, tenant)
    (sent,) = [s for s in twilio.sent if "is ready" in s.body]
    assert sent.to == phone and f"/t/{tenant.slug}/invoices/" in sent.body
