"""Drills (slow): the SMTP server and a lead-export target go down, then come back.

While down every attempt fails (connection refused) until the row is a dead letter; once the
service is back a replay delivers it exactly once and later runs add nothing. Lives here for the
messaging fixtures (real aiosmtpd server, real HTTP target)."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta
from http.server import ThreadingHTTPServer

import pytest

from shared import circuit
from shared.outbox import MAX_ATTEMPTS
from shared.outbox.delivery import utcnow
from shared.runtime import use_runtime
from shared.tenancy import tenant_context
from tenantapp.exports import service as exports
from tenantapp.outbox.delivery import deliver_due
from tests.messaging.conftest import WebhookTarget
from tests.messaging.support import dlq_count, outbox_row, queue_email, ref
from tests.messaging.test_exports import _queue, _turn_on

pytestmark = pytest.mark.slow


def _until_dead(message_id: int) -> None:
    """Delivery runs, each at the row's next attempt time (the breaker's cool-down skipped)."""
    for _ in range(MAX_ATTEMPTS + 1):
        row = outbox_row(message_id)
        if row.status == "dead":
            return
        circuit.reset_all()
        deliver_due(now=max(row.next_attempt_at, utcnow()), sleep=lambda s: None)
    raise AssertionError(f"never dead: {outbox_row(message_id).status}")


def _replay(client, tenant, path: str) -> None:
    circuit.reset_all()
    resp = client.post(
        tenant.url(path), headers={**tenant.headers, "Idempotency-Key": uuid.uuid4().hex}
    )
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["status"] == "pending"


def test_smtp_down_then_up_dead_letter_replay_exactly_once(client, tenant, mail_rt, smtp_server):
    smtp_server.stop()
    with tenant_context(ref(tenant)):
        message_id = queue_email(key=f"outage-{uuid.uuid4().hex[:8]}", to="down@example.com")
        _until_dead(message_id)
        row = outbox_row(message_id)
        assert row.attempts == MAX_ATTEMPTS
        assert dlq_count(str(tenant.id), "email") == 1

    smtp_server.start()  # same port
    _replay(client, tenant, f"/admin/outbox/{message_id}/replay")
    with tenant_context(ref(tenant)):
        assert deliver_due().sent == 1
        assert deliver_due(now=utcnow() + timedelta(days=1)).sent == 0
        assert outbox_row(message_id).status == "sent"
        assert dlq_count(str(tenant.id), "email") == 0
    assert [m["to"] for m in smtp_server.messages] == [["down@example.com"]]


class ReopenableTarget(WebhookTarget):
    def down(self):
        self.close()

    def up(self):
        handler = self.server.RequestHandlerClass
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()


@pytest.fixture()
def target():
    t = ReopenableTarget()
    yield t
    t.close()


def test_export_target_down_then_up_dead_letter_replay_exactly_once(
    client, tenant, make_runtime, target
):
    rt = make_runtime(
        export_allow_http=True,
        export_unsafe_allow_targets=[target.hostport],
        export_timeout_seconds=1.0,
    )
    target.down()
    with use_runtime(rt), tenant_context(ref(tenant)):
        _turn_on(target.url())
        message_id = _queue(f"lead-{uuid.uuid4().hex[:6]}")
        deliver_due(only_ids=[message_id], sleep=lambda s: None)  # quick tries: refused
        assert outbox_row(message_id).last_error.startswith("target_unreachable")
        _until_dead(message_id)
        assert dlq_count(str(tenant.id), "webhook") == 1

    target.up()
    _replay(client, tenant, f"/admin/exports/{message_id}/replay")
    with use_runtime(rt), tenant_context(ref(tenant)):
        assert deliver_due(sleep=lambda s: None).sent == 1
        assert deliver_due(now=utcnow() + timedelta(days=1), sleep=lambda s: None).sent == 0
        assert outbox_row(message_id).status == "sent"
        assert dlq_count(str(tenant.id), "webhook") == 0
    assert len(target.requests) == 1
    assert target.requests[0]["headers"][exports.DELIVERY_HEADER].startswith("export:lead:")
