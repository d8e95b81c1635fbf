"""Tenant e-mail through the outbox against a real SMTP server (aiosmtpd)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from shared import circuit, db
from shared.outbox import MAX_ATTEMPTS, backoff_seconds
from shared.outbox.delivery import utcnow
from shared.runtime import use_runtime
from shared.tenancy import tenant_context
from tenantapp.outbox.delivery import deliver_due
from tenantapp.outbox.models import OutboxMessage
from tests.messaging.support import dlq_count, outbox_row, queue_email, ref


def test_backoff_is_30_seconds_doubling_per_attempt():
    assert [backoff_seconds(n) for n in range(1, 6)] == [30, 60, 120, 240, 480]
    assert MAX_ATTEMPTS == 5
    with pytest.raises(ValueError):
        backoff_seconds(0)


def test_smtp_down_retries_with_backoff_then_dead_letter_then_replay_delivers_once(
    client, tenant, make_runtime, smtp_server
):
    smtp_server.stop()  # the port is closed: every connection is refused
    rt = make_runtime(smtp_url=smtp_server.url, mail_timeout_seconds=2.0)
    with use_runtime(rt), tenant_context(ref(tenant)):
        message_id = queue_email(key="down-1")
        now = utcnow()
        for attempt in range(1, MAX_ATTEMPTS + 1):
            report = deliver_due(now=now)
            row = outbox_row(message_id)
            assert row.attempts == attempt
            if attempt < MAX_ATTEMPTS:
                assert report.retried == 1
                assert row.status == "pending"
                assert row.last_error.startswith(("smtp_unavailable", "circuit_tripped"))
                assert row.next_attempt_at == now + timedelta(seconds=backoff_seconds(attempt))
                # one second before the backoff ends it is not due: nothing is tried
                early = deliver_due(now=row.next_attempt_at - timedelta(seconds=1))
                assert early.retried == early.dead == early.sent == 0
                assert outbox_row(message_id).attempts == attempt
                now = row.next_attempt_at
            else:
                assert report.dead == 1
                assert row.status == "dead" and row.dead_at == now
        assert dlq_count(str(tenant.id), "email") == 1
        # dead letters are never picked up again by delivery runs
        assert deliver_due(now=now + timedelta(days=1)).sent == 0
        assert smtp_server.messages == []

    smtp_server.start()
    circuit.reset_all()  # the breaker's 30 s cool-down has passed by the time someone replays

    url = tenant.url(f"/admin/outbox/{message_id}/replay")
    headers = {**tenant.headers, "Idempotency-Key": "replay-down-1"}
    first = client.post(url, headers=headers)
    assert first.status_code == 200, first.get_json()
    assert first.get_json()["status"] == "pending" and first.get_json()["attempts"] == 0
    again = client.post(url, headers=headers)
    assert again.status_code == 200
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"

    with use_runtime(rt), tenant_context(ref(tenant)):
        assert dlq_count(str(tenant.id), "email") == 0
        assert deliver_due().sent == 1
        assert deliver_due(now=utcnow() + timedelta(hours=1)).sent == 0
        assert outbox_row(message_id).status == "sent"
    assert len(smtp_server.messages) == 1

    # the same key once more: the stored answer, and no second effect on the sent row
    third = client.post(url, headers=headers)
    assert third.status_code == 200 and third.get_json() == first.get_json()
    with use_runtime(rt), tenant_context(ref(tenant)):
        assert outbox_row(message_id).status == "sent"
        assert deliver_due(now=utcnow() + timedelta(hours=2)).sent == 0
    assert len(smtp_server.messages) == 1


def test_the_same_message_enqueued_twice_is_sent_once(tenant, mail_rt, smtp_server):
    with tenant_context(ref(tenant)):
        first = queue_email(key="booking:bk-1001:confirmed")
        second = queue_email(key="booking:bk-1001:confirmed")
        assert first is not None and second is None
        count = db.session().scalar(
            select(func.count()).where(OutboxMessage.dedupe_key == "booking:bk-1001:confirmed")
        )
        assert count == 1
        assert deliver_due().sent == 1
        assert deliver_due(now=utcnow() + timedelta(minutes=10)).sent == 0
    assert len(smtp_server.messages) == 1


def test_a_refused_recipient_goes_straight_to_the_dead_letters(tenant, mail_rt, smtp_server):
    async def refuse(server, session, envelope, address, rcpt_options):
        return "550 5.1.1 No such user"

    smtp_server.collector.handle_RCPT = refuse
    with tenant_context(ref(tenant)):
        message_id = queue_email(key="refused-1", to="nobody@example.com")
        report = deliver_due()
        row = outbox_row(message_id)
    assert report.dead == 1
    assert row.status == "dead" and row.attempts == 1
    assert row.last_error.startswith("recipient_refused")
    # a permanent refusal does not count against the breaker
    assert circuit.states().get("mail") == "closed"


def test_booking_mail_is_rendered_with_tenant_name_zone_and_links(tenant, mail_rt, smtp_server):
    with tenant_context(ref(tenant)):
        queue_email("booking_confirmed", key="render-1")
        deliver_due()
    (item,) = smtp_server.messages
    msg = item["message"]
    assert item["to"] == ["ada@example.com"]
    assert f"{tenant.slug} Cleaning" in msg["Subject"]
    assert "Fri 15 Jan, 09:00" in msg["Subject"]  # 16:00 UTC shown in America/Edmonton
    assert msg["Message-ID"].startswith("<outbox.")
    assert msg["List-Unsubscribe"] is None  # transactional mail
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert "Ada Lovelace" in text and "$105.00" in text and "MST" in text
    assert "https://example.test/manage/bk-1001" in html
    assert f"/t/{tenant.slug}" in text


def test_templates_escape_html_but_not_text(tenant, mail_rt, smtp_server):
    context = {
        "customer_name": "<b>Eve</b>",
        "booking": {
            "id": "x",
            "starts_at": "2027-01-15T16:00:00Z",
            "address": "a",
            "manage_url": "https://m",
        },
    }
    with tenant_context(ref(tenant)):
        queue_email("booking_pending", key="escape-1", context=context)
        deliver_due()
    msg = smtp_server.messages[0]["message"]
    assert "&lt;b&gt;Eve&lt;/b&gt;" in msg.get_body(("html",)).get_content()
    assert "<b>Eve</b>" in msg.get_body(("plain",)).get_content()


def test_enqueue_refuses_unknown_templates_and_missing_context(tenant, mail_rt):
    from jinja2 import UndefinedError

    with tenant_context(ref(tenant)):
        with pytest.raises(ValueError):
            queue_email("no_such_template", key="bad-1")
        with pytest.raises(UndefinedError):
            queue_email("booking_confirmed", key="bad-2", context={"customer_name": "x"})
        count = db.session().scalar(select(func.count()).select_from(OutboxMessage))
        db.session().commit()
    assert count == 0


def test_parallel_delivery_runs_never_send_a_row_twice(tenant, mail_rt, smtp_server):
    import threading

    handle = ref(tenant)
    with tenant_context(handle):
        for n in range(12):
            queue_email(key=f"parallel-{n}", to=f"p{n}@example.com")
    reports, errors = [], []

    def run():
        try:
            with use_runtime(mail_rt), tenant_context(handle):
                reports.append(deliver_due(batch=12))
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert sum(r.sent for r in reports) == 12
    recipients = sorted(m["to"][0] for m in smtp_server.messages)
    assert recipients == sorted(f"p{n}@example.com" for n in range(12))


def test_worker_invite_link_is_sealed_in_the_outbox_and_sent_whole(
    client, tenant, mail_rt, smtp_server
):
    from tests.workforce.helpers import create_worker, default_team_id

    created = create_worker(client, tenant, team_id=default_team_id(client, tenant))
    invite_url = created.get_json()["invite_url"]
    token = invite_url.rsplit("token=", 1)[1]
    with tenant_context(ref(tenant)):
        row = db.session().scalar(
            select(OutboxMessage).where(OutboxMessage.topic == "worker_invite")
        )
        assert token not in str(row.payload) and "login_url" not in row.payload
        deliver_due()
    msg = smtp_server.messages[0]["message"]
    assert invite_url in msg.get_body(("plain",)).get_content()
