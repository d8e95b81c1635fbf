"""A data-deletion request removes the person's outbox rows in the same transaction, and nothing
addressed to them is sent afterwards by the real delivery job in a real worker (SPEC §5.8, §8).

Pat's queued mail (lead thanks, booking mail), a dead letter of theirs, the staff notification
about their lead and their lead export all go; Sam's mail, queued at the same time, is still
delivered through a real SMTP server."""

from __future__ import annotations

from sqlalchemy import func, select, update

from jobs import queues
from shared.outbox.dlq import DlqEntry
from tenantapp.outbox.delivery import deliver_tenant_outbox
from tenantapp.outbox.models import OutboxMessage
from tenantapp.settings.models import TenantSettings
from tests.bookings.conftest import at, book, make_lead, monday
from tests.drills.support import run_burst_worker, worker_env
from tests.messaging.conftest import smtp_server  # noqa: F401 - the real SMTP server fixture
from tests.retention.test_retention import PAT, SAM, in_tenant

STAFF = "office@example.com"


def _rows(runtime, tenant):
    with in_tenant(runtime, tenant) as sess:
        rows = list(sess.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        sess.commit()
    return rows


def _about(rows, lead_id, booking_id, email):
    return [
        r
        for r in rows
        if (r.recipient or "").lower() == email
        or r.dedupe_key
        in (f"lead_received:{lead_id}", f"lead_notification:{lead_id}", f"export:lead:{lead_id}")
        or r.dedupe_key.split(":")[:2] in (["booking_pending", str(booking_id)],)
        or r.dedupe_key.startswith(f"booking_confirmed:{booking_id}:")
    ]


def test_deletion_erases_queued_and_dead_outbox_rows_and_nothing_reaches_them(
    client,
    runtime,
    tenant,
    smtp_server,  # noqa: F811 - the imported fixture
):
    with in_tenant(runtime, tenant) as sess:
        sess.execute(
            update(TenantSettings).values(
                contact_email=STAFF,
                export_mode="webhook",
                export_target_url="https://hooks.example.com/leads",
            )
        )
        sess.commit()
    pat = make_lead(client, tenant, **PAT, notes="gate code 1234")
    booking = book(client, tenant, pat["lead_id"], at(monday(), "09:00")).get_json()
    sam = make_lead(client, tenant, **SAM)

    before = _rows(runtime, tenant)
    pats = _about(before, pat["lead_id"], booking["id"], PAT["email"])
    kinds = {(r.kind, r.topic) for r in pats}
    assert ("email", "lead_received") in kinds and ("email", "lead_notification") in kinds
    assert any(r.kind == "webhook" for r in pats)  # the lead export
    assert len(pats) >= 4
    # One of Pat's rows is a dead letter (replayable by staff): it must go too.
    dead_id = next(r.id for r in pats if r.topic == "lead_received")
    with in_tenant(runtime, tenant) as sess:
        sess.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == dead_id)
            .values(status="dead", dead_at=func.now(), last_error="smtp_rejected")
        )
        sess.commit()

    resp = client.post(
        tenant.url("/admin/data-deletion/requests"),
        json={"email": PAT["email"]},
        headers=tenant.headers,
    )
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["outbox_messages"] == len(pats)

    after = _rows(runtime, tenant)
    assert _about(after, pat["lead_id"], booking["id"], PAT["email"]) == []
    assert not any(PAT["email"] in str(r.payload) for r in after)
    sams = [r for r in after if (r.recipient or "") == SAM["email"]]
    assert sams, "another person's mail must stay"
    with in_tenant(runtime, tenant) as sess:
        dead = sess.scalar(
            select(DlqEntry.dead_count).where(DlqEntry.scope == tenant.id, DlqEntry.kind == "email")
        )
        sess.commit()
    assert not dead  # the dead-letter index follows

    # The real delivery job, in a real worker, sends what is left: nothing reaches Pat.
    with in_tenant(runtime, tenant) as sess:
        # Sam's lead export targets a host this machine cannot reach: leave it out of the run.
        sess.execute(
            update(OutboxMessage).where(OutboxMessage.kind == "webhook").values(status="skipped")
        )
        sess.commit()
    env = worker_env(runtime.settings, SMTP_URL=smtp_server.url)
    for name in queues.ALL:  # other tests' tenants' delivery jobs (due-work fast path) stay out
        queues.queue(name, runtime).empty()
    deliver_tenant_outbox.enqueue(runtime, tenant.id)
    run_burst_worker(env)
    recipients = [r for item in smtp_server.messages for r in item["to"]]
    assert SAM["email"] in recipients
    assert PAT["email"] not in recipients
    for item in smtp_server.messages:
        body = item["message"].as_string()
        assert PAT["email"] not in body and "gate code 1234" not in body
    assert sam["lead_id"] != pat["lead_id"]
