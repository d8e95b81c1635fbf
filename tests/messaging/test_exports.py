"""Lead export webhooks against a real local HTTP server: signing, quick tries, outbox, dead
letters, replay, redirects and the SSRF guard in the delivery path."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from shared import circuit, db
from shared.outbox import MAX_ATTEMPTS, backoff_seconds
from shared.outbox.delivery import utcnow
from shared.runtime import use_runtime
from shared.tenancy import tenant_context
from tenantapp.exports import service as exports
from tenantapp.outbox.delivery import deliver_due
from tenantapp.settings.models import TenantSettings
from tests.messaging.support import dlq_count, outbox_row, ref

LEAD = {"id": "lead-1", "name": "Grace Hopper", "email": "grace@example.com"}


@pytest.fixture()
def export_rt(make_runtime, webhook_target):
    rt = make_runtime(
        export_allow_http=True,
        export_unsafe_allow_targets=[webhook_target.hostport],
        export_timeout_seconds=2.0,
    )
    with use_runtime(rt):
        yield rt


def _turn_on(url: str, mode: str = "webhook") -> None:
    with db.transaction() as tx:
        settings = tx.get(TenantSettings, 1)
        settings.export_mode = mode
        settings.export_target_url = url


def _queue(lead_id: str = "lead-1") -> int | None:
    with db.transaction() as tx:
        return exports.enqueue_lead_export(tx, lead_id, {**LEAD, "id": lead_id})


def test_target_500_quick_tries_then_outbox_then_dead_then_replay_succeeds(
    client, tenant, export_rt, webhook_target
):
    webhook_target.reply(500, times=3 + MAX_ATTEMPTS - 1)
    pauses = []
    with tenant_context(ref(tenant)):
        _turn_on(webhook_target.url())
        message_id = _queue()
        # right after the lead's transaction: 3 quick tries, counted as the first attempt
        deliver_due(only_ids=[message_id], sleep=pauses.append)
        assert len(webhook_target.requests) == 3
        assert pauses == list(exports.QUICK_PAUSES)
        row = outbox_row(message_id)
        assert (row.status, row.attempts) == ("pending", 1)
        assert row.last_error == "target_failed: HTTP 500"
        now = row.next_attempt_at
        for attempt in range(2, MAX_ATTEMPTS + 1):
            # ``now`` jumps minutes ahead; the breaker's real 30 s cool-down is simulated too
            circuit.reset_all()
            deliver_due(now=now, sleep=pauses.append)
            row = outbox_row(message_id)
            assert row.attempts == attempt
            if attempt < MAX_ATTEMPTS:
                assert row.next_attempt_at == now + timedelta(seconds=backoff_seconds(attempt))
                now = row.next_attempt_at
        assert row.status == "dead"
        assert len(webhook_target.requests) == 3 + MAX_ATTEMPTS - 1  # later attempts: one try
        assert dlq_count(str(tenant.id), "webhook") == 1

    dead = client.get(tenant.url("/admin/exports/dead-letter"), headers=tenant.headers)
    assert [m["id"] for m in dead.get_json()["items"]] == [message_id]

    circuit.reset_all()  # the target's breaker cooled down before the replay
    resp = client.post(
        tenant.url(f"/admin/exports/{message_id}/replay"),
        headers={**tenant.headers, "Idempotency-Key": "export-replay-1"},
    )
    assert resp.status_code == 200 and resp.get_json()["status"] == "pending"
    with tenant_context(ref(tenant)):
        assert deliver_due(sleep=pauses.append).sent == 1
        assert outbox_row(message_id).status == "sent"
        assert dlq_count(str(tenant.id), "webhook") == 0
        secret = exports.signing_secret(tenant.id)
    last = webhook_target.requests[-1]
    assert last["path"] == "/hooks/leads"
    assert exports.verify(secret, last["body"], last["headers"][exports.SIGNATURE_HEADER])
    assert not exports.verify(
        "whsec_wrong", last["body"], last["headers"][exports.SIGNATURE_HEADER]
    )
    body = json.loads(last["body"])
    assert body["event"] == "lead.created" and body["data"]["name"] == "Grace Hopper"
    assert body["tenant"]["id"] == str(tenant.id)
    assert last["headers"][exports.DELIVERY_HEADER] == "export:lead:lead-1"
    empty = client.get(tenant.url("/admin/exports/dead-letter"), headers=tenant.headers)
    assert empty.get_json()["items"] == []


def test_signature_verification_rules():
    body = b'{"a":1}'
    header = exports.sign("whsec_x", body, 1_000_000)
    assert exports.verify("whsec_x", body, header, now=1_000_000 + 300)
    assert not exports.verify("whsec_x", body, header, now=1_000_000 + 301)
    assert not exports.verify("whsec_x", body + b" ", header, now=1_000_000)
    assert not exports.verify("whsec_x", body, "garbage", now=1_000_000)


def test_signing_secret_endpoint_gives_the_tenant_its_secret(client, tenant, other_tenant, rt):
    resp = client.get(tenant.url("/admin/exports/signing-secret"), headers=tenant.headers)
    assert resp.status_code == 200
    with tenant_context(ref(tenant)):
        assert resp.get_json()["secret"] == exports.signing_secret(tenant.id)
    other = client.get(
        other_tenant.url("/admin/exports/signing-secret"), headers=other_tenant.headers
    )
    assert other.get_json()["secret"] != resp.get_json()["secret"]


def test_the_same_lead_is_exported_once_and_not_at_all_when_off(tenant, export_rt, webhook_target):
    with tenant_context(ref(tenant)):
        assert _queue("lead-off") is None  # export mode is off by default
        _turn_on(webhook_target.url())
        first, second = _queue("lead-2"), _queue("lead-2")
        assert first is not None and second is None
        deliver_due()
        deliver_due(now=utcnow() + timedelta(hours=1))
    assert len(webhook_target.requests) == 1


@pytest.mark.parametrize(
    ("location", "reason"),
    [
        ("http://127.0.0.1/admin", "loopback_address"),
        ("http://[::1]/admin", "loopback_address"),
        ("http://169.254.169.254/latest/meta-data/", "metadata_address"),
        ("http://100.64.0.1/", "cgnat_address"),
        ("http://10.0.0.5/internal", "private_address"),
    ],
)
def test_redirects_are_never_followed(tenant, export_rt, webhook_target, location, reason):
    webhook_target.reply(302, headers={"Location": location})
    with tenant_context(ref(tenant)):
        _turn_on(webhook_target.url())
        message_id = _queue()
        report = deliver_due()
        row = outbox_row(message_id)
    assert report.dead == 1
    assert row.status == "dead" and row.attempts == 1
    assert row.last_error.startswith("redirect_refused") and f"({reason})" in row.last_error
    assert len(webhook_target.requests) == 1  # no second request anywhere


def test_loopback_target_is_refused_by_default_and_never_called(
    tenant, make_runtime, webhook_target
):
    rt = make_runtime(export_allow_http=True)  # no test-only allowance
    with use_runtime(rt), tenant_context(ref(tenant)):
        _turn_on(webhook_target.url())
        message_id = _queue()
        deliver_due()
        row = outbox_row(message_id)
    assert row.status == "dead" and row.last_error.startswith("loopback_address")
    assert webhook_target.requests == []


def test_a_4xx_answer_is_final_after_one_try(tenant, export_rt, webhook_target):
    webhook_target.reply(410)
    with tenant_context(ref(tenant)):
        _turn_on(webhook_target.url())
        message_id = _queue()
        deliver_due(only_ids=[message_id], sleep=lambda s: None)
        row = outbox_row(message_id)
    assert row.status == "dead" and row.last_error == "target_rejected: HTTP 410"
    assert len(webhook_target.requests) == 1


def test_exports_turned_off_before_delivery_are_skipped(tenant, export_rt, webhook_target):
    with tenant_context(ref(tenant)):
        _turn_on(webhook_target.url())
        message_id = _queue()
        _turn_on(webhook_target.url(), mode="off")
        assert deliver_due().skipped == 1
        assert outbox_row(message_id).status == "skipped"
    assert webhook_target.requests == []


def test_quick_tries_stop_at_the_first_success(tenant, export_rt, webhook_target):
    webhook_target.reply(503)
    with tenant_context(ref(tenant)):
        _turn_on(webhook_target.url())
        message_id = _queue()
        deliver_due(only_ids=[message_id], sleep=lambda s: None)
        row = outbox_row(message_id)
    assert row.status == "sent" and row.attempts == 1
    assert len(webhook_target.requests) == 2
