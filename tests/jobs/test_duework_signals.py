"""Work created in a transaction reaches the due-work index after commit, and only then."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from jobs import duework, queues
from jobs.dispatch import dispatch_due, run_due_work
from shared import db
from shared.tenancy import tenant_context
from tenantapp.bookings.models import Booking
from tenantapp.leads.notifications import LEAD_RECEIVED
from tenantapp.messaging.service import enqueue_email
from tenantapp.outbox.models import OutboxMessage
from tests.bookings.conftest import at, book, make_lead, monday
from tests.jobs.duework_support import due_jobs


def queue_mail(rt, tenant_id, count: int = 1, fail: bool = False) -> None:
    with tenant_context(rt.tenants.by_id(uuid.UUID(tenant_id))):
        try:
            with db.transaction() as tx:
                for _ in range(count):
                    enqueue_email(
                        tx,
                        LEAD_RECEIVED,
                        "pat@example.com",
                        {"name": "Pat", "estimate_cents": 100},
                        f"test:{uuid.uuid4().hex}",
                    )
                if fail:
                    raise RuntimeError("the request failed after queueing")
        finally:
            db.close_session()


def test_a_new_outbox_row_enqueues_delivery_at_once(rt, tenant):
    queue_mail(rt, tenant.id, count=3)
    [job] = due_jobs(rt.redis, queues.EMAIL)
    assert job.args == (tenant.id, "outbox")
    assert duework.entries(rt.redis) == {}  # straight to a job, no scheduler tick needed


def test_a_waiting_delivery_job_absorbs_later_rows(rt, tenant):
    from jobs.dispatch import SAFETY_SECONDS

    queue_mail(rt, tenant.id)
    before = time.time()
    queue_mail(rt, tenant.id)
    assert len(due_jobs(rt.redis, queues.EMAIL)) == 1
    # in case the waiting job is lost, the index has the tenant a little later (never dropped)
    [due] = duework.entries(rt.redis).values()
    assert before + SAFETY_SECONDS <= due <= time.time() + SAFETY_SECONDS
    rt.redis.delete(duework.queued_key("outbox", tenant.id))  # that job started
    queue_mail(rt, tenant.id)
    assert len(due_jobs(rt.redis, queues.EMAIL)) == 2


def test_a_rolled_back_outbox_row_enqueues_nothing(rt, tenant):
    with pytest.raises(RuntimeError):
        queue_mail(rt, tenant.id, fail=True)
    assert due_jobs(rt.redis, queues.EMAIL) == []
    assert duework.entries(rt.redis) == {}
    # the session's next transaction signals normally (nothing left over from the rollback)
    queue_mail(rt, tenant.id)
    assert len(due_jobs(rt.redis, queues.EMAIL)) == 1


def test_a_row_queued_for_later_is_indexed_at_its_time(rt, tenant):
    from shared.outbox import enqueue

    later = datetime.now(UTC) + timedelta(minutes=10)
    with tenant_context(rt.tenants.by_id(uuid.UUID(tenant.id))):
        with db.transaction() as tx:
            enqueue(
                tx,
                OutboxMessage,
                kind="webhook",
                topic="t",
                dedupe_key=f"t:{uuid.uuid4().hex}",
                not_before=later,
            )
        db.close_session()
    assert due_jobs(rt.redis, queues.EMAIL) == []
    assert duework.entries(rt.redis) == {
        ("outbox", tenant.id): pytest.approx(later.timestamp(), abs=0.01)
    }


def test_a_confirmed_booking_indexes_its_reminder_24_hours_before(client, rt, tenant):
    lead = make_lead(client, tenant, email="pat@example.com")
    b = book(client, tenant, lead["lead_id"], at(monday(), "09:00")).get_json()
    client.post(tenant.url(f"/admin/bookings/{b['id']}/confirm"), headers=tenant.headers)
    starts = datetime.fromisoformat(b["starts_at"].replace("Z", "+00:00"))
    entries = duework.entries(rt.redis)
    assert entries[("reminders", tenant.id)] == pytest.approx(
        (starts - timedelta(hours=24)).timestamp(), abs=0.01
    )


def reminders_sent(rt, tenant_id) -> int:
    with tenant_context(rt.tenants.by_id(uuid.UUID(tenant_id))):
        try:
            return db.session().scalar(
                select(func.count()).where(OutboxMessage.topic == "booking_reminder_24h")
            )
        finally:
            db.close_session()


def test_reminders_go_exactly_once_per_booking_and_recipient(client, rt, tenant):
    from jobs.reconcile import reconcile_tenants

    lead = make_lead(client, tenant, email="pat@example.com")
    b = book(client, tenant, lead["lead_id"], at(monday(), "09:00")).get_json()
    client.post(tenant.url(f"/admin/bookings/{b['id']}/confirm"), headers=tenant.headers)
    soon = datetime.now(UTC) + timedelta(hours=23)
    with tenant_context(rt.tenants.by_id(uuid.UUID(tenant.id))):
        with db.transaction() as tx:  # time passes: the booking is now 23 h away
            tx.execute(
                update(Booking)
                .where(Booking.id == b["id"])
                .values(starts_at=soon, ends_at=soon + timedelta(hours=3))
            )
        db.close_session()
    for name in (queues.EMAIL, queues.MAINTENANCE):
        queues.queue(name, rt.redis).empty()
    first = run_due_work(tenant.id, "reminders")
    assert first["queued"] == 1 and first["next_due"] is None
    assert reminders_sent(rt, tenant.id) == 1
    # the reminder was handed to delivery by the same job (no SMTP here: retried later) ...
    assert first["more"]["outbox"]["retried"] >= 1  # the reminder and the earlier mails
    assert due_jobs(rt.redis, queues.EMAIL) == []  # ... not by a second job
    assert not rt.redis.exists(duework.queued_key("outbox", tenant.id))
    # a second scheduler, a retried job, the reconcile: the dedupe key holds
    assert run_due_work(tenant.id, "reminders")["queued"] == 0
    reconcile_tenants([tenant.id])
    assert ("reminders", tenant.id) in duework.entries(rt.redis)  # it cannot know: it re-checks
    dispatch_due(rt.redis, time.time())
    [job] = [j for j in due_jobs(rt.redis, queues.DEFAULT) if j.args[1] == "reminders"]
    assert run_due_work(*job.args)["queued"] == 0
    assert reminders_sent(rt, tenant.id) == 1
    assert ("reminders", tenant.id) not in duework.entries(rt.redis)


def test_an_unpaid_deposit_is_indexed_at_the_end_of_its_hold(client, rt, tenant):
    lead = make_lead(client, tenant, email="pat@example.com")
    b = book(client, tenant, lead["lead_id"], at(monday(), "09:00")).get_json()
    with tenant_context(rt.tenants.by_id(uuid.UUID(tenant.id))):
        with db.transaction() as tx:
            booking = tx.get(Booking, b["id"])
            booking.status, booking.deposit_status = "PENDING", "pending"
            from jobs import signals

            signals.booking_changed(tx, booking)
            created = booking.created_at
        db.close_session()
    hold = timedelta(minutes=rt.settings.deposit_hold_minutes)
    assert duework.entries(rt.redis)[("deposits", tenant.id)] == pytest.approx(
        (created + hold).timestamp(), abs=0.01
    )
    result = run_due_work(tenant.id, "deposits")  # too early: nothing, and it stays indexed
    assert result["cancelled"] == 0
    assert duework.entries(rt.redis)[("deposits", tenant.id)] == pytest.approx(
        (created + hold).timestamp(), abs=0.01
    )
