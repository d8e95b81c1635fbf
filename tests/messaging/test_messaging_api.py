"""The messaging endpoints: isolation, Idempotency-Key, the replay limit, scans, unsubscribe."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from shared import db
from shared.mail.unsubscribe import MAX_AGE_SECONDS, InvalidUnsubscribeToken, make_token, read_token
from shared.outbox.delivery import utcnow
from shared.tenancy import tenant_context
from tenantapp.bookings import reminders
from tenantapp.outbox.delivery import deliver_due
from tenantapp.outbox.models import OutboxMessage
from tests.messaging.support import BOOKING_CONTEXT, outbox_row, queue_email, ref


def _dead_letters(handle, count: int, prefix: str = "dead") -> list[int]:
    with tenant_context(ref(handle)):
        ids = [queue_email(key=f"{prefix}-{i}") for i in range(count)]
        with db.transaction() as tx:
            tx.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(ids))
                .values(status="dead", attempts=5, dead_at=utcnow(), last_error="smtp_unavailable")
            )
    return ids


def _replay(client, handle, message_id, key, **kwargs):
    headers = {**handle.headers, "Idempotency-Key": key}
    return client.post(handle.url(f"/admin/outbox/{message_id}/replay"), headers=headers, **kwargs)


def test_outbox_list_and_dead_letters(client, tenant, rt):
    (dead_id,) = _dead_letters(tenant, 1)
    with tenant_context(ref(tenant)):
        pending_id = queue_email(key="pending-1")
    everything = client.get(tenant.url("/admin/outbox"), headers=tenant.headers).get_json()
    assert [m["id"] for m in everything["items"]] == [pending_id, dead_id]
    only_pending = client.get(tenant.url("/admin/outbox?status=pending"), headers=tenant.headers)
    assert [m["id"] for m in only_pending.get_json()["items"]] == [pending_id]
    dead = client.get(tenant.url("/admin/outbox/dead-letter"), headers=tenant.headers).get_json()
    assert [m["id"] for m in dead["items"]] == [dead_id]
    assert dead["items"][0]["last_error"] == "smtp_unavailable"
    paged = client.get(tenant.url("/admin/outbox?limit=1"), headers=tenant.headers).get_json()
    assert len(paged["items"]) == 1 and paged["next_cursor"]
    rest = client.get(
        tenant.url(f"/admin/outbox?limit=1&cursor={paged['next_cursor']}"), headers=tenant.headers
    ).get_json()
    assert [m["id"] for m in rest["items"]] == [dead_id]
    bad = client.get(tenant.url("/admin/outbox?status=lost"), headers=tenant.headers)
    assert bad.status_code == 422


def test_another_tenants_outbox_ids_are_404(client, tenant, other_tenant, rt):
    (theirs,) = _dead_letters(tenant, 1, prefix="iso")
    resp = _replay(client, other_tenant, theirs, "iso-1")
    assert resp.status_code == 404
    resp = client.post(
        other_tenant.url(f"/admin/exports/{theirs}/replay"),
        headers={**other_tenant.headers, "Idempotency-Key": "iso-2"},
    )
    assert resp.status_code == 404
    listed = client.get(other_tenant.url("/admin/outbox"), headers=other_tenant.headers)
    assert listed.get_json()["items"] == []
    dead = client.get(other_tenant.url("/admin/outbox/dead-letter"), headers=other_tenant.headers)
    assert dead.get_json()["items"] == []
    # tenant A's token on tenant B's URL is refused outright
    cross = client.post(
        other_tenant.url(f"/admin/outbox/{theirs}/replay"),
        headers={**tenant.headers, "Idempotency-Key": "iso-3"},
    )
    assert cross.status_code == 403 and cross.get_json()["code"] == "tenant_mismatch"
    with tenant_context(ref(tenant)):
        assert outbox_row(theirs).status == "dead"  # untouched by any of that


def test_replay_requires_an_idempotency_key_and_refuses_a_reused_one(client, tenant, rt):
    dead_a, dead_b = _dead_letters(tenant, 2, prefix="idem")
    url = tenant.url(f"/admin/outbox/{dead_a}/replay")
    missing = client.post(url, headers=tenant.headers)
    assert missing.status_code == 400
    assert missing.get_json()["code"] == "idempotency_key_required"
    assert _replay(client, tenant, dead_a, "key-1").status_code == 200
    reused = _replay(client, tenant, dead_b, "key-1")  # another path with the same key
    assert reused.status_code == 409 and reused.get_json()["code"] == "idempotency_key_reused"
    other_body = _replay(client, tenant, dead_a, "key-1", json={"note": "again"})
    assert other_body.status_code == 409
    assert other_body.get_json()["code"] == "idempotency_key_reused"
    with tenant_context(ref(tenant)):
        assert outbox_row(dead_b).status == "dead"


def test_replaying_a_message_that_is_not_dead_is_a_conflict(client, tenant, rt):
    with tenant_context(ref(tenant)):
        pending = queue_email(key="not-dead")
    resp = _replay(client, tenant, pending, "nd-1")
    assert resp.status_code == 409 and resp.get_json()["code"] == "invalid_transition"
    # a refused request does not burn its key: the same key works once the state allows it
    with tenant_context(ref(tenant)), db.transaction() as tx:
        tx.execute(update(OutboxMessage).where(OutboxMessage.id == pending).values(status="dead"))
    assert _replay(client, tenant, pending, "nd-1").status_code == 200


def test_replay_is_limited_to_5_per_minute_per_tenant(client, tenant, other_tenant, rt):
    ids = _dead_letters(tenant, 6, prefix="limit")
    for n, message_id in enumerate(ids[:5]):
        assert _replay(client, tenant, message_id, f"lim-{n}").status_code == 200
    sixth = _replay(client, tenant, ids[5], "lim-5")
    assert sixth.status_code == 429 and sixth.get_json()["code"] == "rate_limited"
    assert 1 <= int(sixth.headers["Retry-After"]) <= 60
    # a stored answer is not a new replay: it is served even at the limit
    assert _replay(client, tenant, ids[0], "lim-0").status_code == 200
    # other tenants have their own budget
    (theirs,) = _dead_letters(other_tenant, 1, prefix="limit-other")
    assert _replay(client, other_tenant, theirs, "lim-x").status_code == 200


def test_the_export_replay_only_takes_webhooks(client, tenant, rt):
    (email_id,) = _dead_letters(tenant, 1, prefix="kind")
    resp = client.post(
        tenant.url(f"/admin/exports/{email_id}/replay"),
        headers={**tenant.headers, "Idempotency-Key": "kind-1"},
    )
    assert resp.status_code == 404


def test_email_scan_queues_each_reminder_once_per_booking_and_recipient(
    client, tenant, rt, monkeypatch
):
    with tenant_context(ref(tenant)):
        assert reminders.reminders_due(utcnow()) == []  # no bookings yet: nothing is due
        db.close_session()
    empty = client.post(tenant.url("/admin/email-scan"), headers=tenant.headers)
    assert empty.status_code == 200 and empty.get_json() == {"queued": 0, "skipped": 0}

    due = [
        reminders.ReminderDue("bk-1", "Ada@Example.com", BOOKING_CONTEXT),
        reminders.ReminderDue("bk-1", "partner@example.com", BOOKING_CONTEXT),
        reminders.ReminderDue("bk-2", "ada@example.com", BOOKING_CONTEXT),
    ]
    monkeypatch.setattr(reminders, "reminders_due", lambda now: due)
    first = client.post(tenant.url("/admin/email-scan"), headers=tenant.headers).get_json()
    assert first == {"queued": 3, "skipped": 0}
    again = client.post(tenant.url("/admin/email-scan"), headers=tenant.headers).get_json()
    assert again == {"queued": 0, "skipped": 3}
    with tenant_context(ref(tenant)):
        keys = {m.dedupe_key for m in db.session().query(OutboxMessage)}
        db.session().commit()
    assert {
        "reminder_24h:bk-1:ada@example.com",
        "reminder_24h:bk-1:partner@example.com",
        "reminder_24h:bk-2:ada@example.com",
    } <= keys


def test_unsubscribe_stops_optional_mail_but_not_transactional_mail(
    client, tenant, other_tenant, mail_rt, smtp_server
):
    with tenant_context(ref(tenant)):
        queue_email("booking_reminder_24h", to="ada@example.com", key="rem-1")
        deliver_due()
    reminder = smtp_server.messages[0]["message"]
    header = reminder["List-Unsubscribe"]
    assert header.startswith("<http") and f"/t/{tenant.slug}/v1/unsubscribe?token=" in header
    assert reminder["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    token = header.split("token=", 1)[1].rstrip(">")
    assert token in reminder.get_body(("plain",)).get_content()

    foreign = client.get(other_tenant.url(f"/unsubscribe?token={token}"))
    assert foreign.status_code == 400  # a token is only valid for its own tenant
    resp = client.get(tenant.url(f"/unsubscribe?token={token}"))
    assert resp.status_code == 200
    assert resp.get_json() == {"unsubscribed": True, "email": "a***@example.com"}
    assert client.post(tenant.url(f"/unsubscribe?token={token}")).status_code == 200  # one-click
    assert client.get(tenant.url("/unsubscribe?token=nonsense")).status_code == 400

    with tenant_context(ref(tenant)):
        skipped = queue_email("booking_reminder_24h", to="ADA@example.com", key="rem-2")
        kept = queue_email("booking_cancelled", to="ada@example.com", key="cancel-1")
        report = deliver_due()
        assert report.skipped == 1 and report.sent == 1
        assert outbox_row(skipped).status == "skipped"
        assert outbox_row(kept).status == "sent"
    assert [m["message"]["Subject"] for m in smtp_server.messages][1].endswith("cancelled")


def test_unsubscribe_tokens_last_exactly_7_days(client, tenant, rt):
    now = utcnow()
    issued = now - timedelta(seconds=MAX_AGE_SECONDS)
    token = make_token(rt.settings.secret_key, str(tenant.id), "ada@example.com", issued)
    assert read_token(rt.settings.secret_key, str(tenant.id), token, now) == "ada@example.com"
    with pytest.raises(InvalidUnsubscribeToken) as err:
        read_token(rt.settings.secret_key, str(tenant.id), token, now + timedelta(seconds=1))
    assert err.value.reason == "expired"
    stale = make_token(
        rt.settings.secret_key, str(tenant.id), "ada@example.com", now - timedelta(days=8)
    )
    resp = client.get(tenant.url(f"/unsubscribe?token={stale}"))
    assert resp.status_code == 400 and "expired" in resp.get_json()["detail"]


def test_idempotency_keys_are_honoured_for_24_hours(client, tenant, rt):
    from shared.idempotency import TenantIdempotencyKey, purge_expired

    dead_a, dead_b = _dead_letters(tenant, 2, prefix="ttl")
    assert _replay(client, tenant, dead_a, "ttl-key").status_code == 200

    def age_key(seconds: int) -> None:
        with tenant_context(ref(tenant)), db.transaction() as tx:
            tx.execute(
                update(TenantIdempotencyKey)
                .where(TenantIdempotencyKey.key == "ttl-key")
                .values(created_at=utcnow() - timedelta(seconds=seconds))
            )

    age_key(24 * 3600 - 5)  # just inside the window: the stored answer, even for another body
    assert _replay(client, tenant, dead_b, "ttl-key").status_code == 409
    age_key(24 * 3600)  # at 24 h the key is forgotten and may be used afresh
    assert _replay(client, tenant, dead_b, "ttl-key").status_code == 200

    with tenant_context(ref(tenant)), db.transaction() as tx:
        assert purge_expired(tx, now=utcnow() + timedelta(hours=24)) >= 1
        assert tx.get(TenantIdempotencyKey, "ttl-key") is None


def test_openapi_documents_the_idempotency_key_header(client, tenant):
    doc = client.get(tenant.url("/openapi.json")).get_json()
    op = doc["paths"]["/admin/outbox/{message_id}/replay"]["post"]
    header = [p for p in op["parameters"] if p["in"] == "header"]
    assert header and header[0]["name"] == "Idempotency-Key" and header[0]["required"] is True
    assert op["x-permission"] == "admin"
    assert doc["paths"]["/unsubscribe"]["get"]["security"] == []


def test_job_entry_points_run_per_tenant_and_skip_unknown_tenants(tenant, mail_rt, smtp_server):
    import uuid

    from tenantapp.bookings.jobs import scan_tenant_reminders
    from tenantapp.exports.jobs import auto_replay_tenant_exports
    from tenantapp.outbox.delivery import deliver_tenant_outbox

    with tenant_context(ref(tenant)):
        queue_email(key="job-1")
    assert deliver_tenant_outbox(tenant.id)["sent"] == 1
    assert len(smtp_server.messages) == 1
    assert scan_tenant_reminders(tenant.id) == {"queued": 0, "skipped": 0}
    assert auto_replay_tenant_exports(tenant.id) == {"replayed": 0, "reason": "off"}
    unknown = uuid.uuid4()
    assert deliver_tenant_outbox(unknown) == {"skipped": True, "reason": "not_found"}
    assert scan_tenant_reminders(unknown) == {"skipped": True, "reason": "not_found"}


def test_concurrent_requests_with_one_key_have_one_effect(wsgi_app, tenant, rt):
    import threading

    from sqlalchemy import func, select

    from tenantapp.audit.models import AuditEntry
    from tests.support import ApiClient

    (dead_id,) = _dead_letters(tenant, 1, prefix="race")
    statuses, barrier = [], threading.Barrier(4)

    def call():
        barrier.wait()
        resp = _replay(ApiClient(wsgi_app), tenant, dead_id, "race-key")
        statuses.append((resp.status_code, resp.get_json().get("code")))

    threads = [threading.Thread(target=call) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(statuses) == 4
    assert (200, None) in statuses
    # the others got the stored answer, or "still processing" while the first was finishing
    assert set(statuses) <= {(200, None), (409, "conflict")}
    with tenant_context(ref(tenant)):
        replays = db.session().scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "outbox.replay", AuditEntry.entity_id == str(dead_id))
        )
        row = outbox_row(dead_id)
    assert replays == 1 and row.replay_count == 1
