"""A delivery killed after the send and before the row update never sends a second e-mail."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest

from shared.outbox.delivery import DEFAULT_LEASE_SECONDS, utcnow
from shared.tenancy import tenant_context
from tenantapp.exports.service import DELIVERY_HEADER, enqueue_lead_export
from tenantapp.outbox.delivery import deliver_due
from tests.messaging.support import dlq_count, outbox_row, queue_email, ref

ROOT = Path(__file__).resolve().parents[2]


def _wait_for(path: Path, proc: subprocess.Popen, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if path.exists() and path.read_text():
            return
        if proc.poll() is not None:
            raise AssertionError(f"worker exited early: {proc.stderr.read().decode()[-2000:]}")
        time.sleep(0.05)
    raise AssertionError("the worker never reached the point after the SMTP send")


def test_worker_killed_after_smtp_send_does_not_send_twice(tmp_path, tenant, mail_rt, smtp_server):
    with tenant_context(ref(tenant)):
        crashed_id = queue_email(key="crash-1", to="first@example.com")
        other_id = queue_email(key="crash-2", to="second@example.com")

    marker = tmp_path / "sent.marker"
    s = mail_rt.settings
    env = {
        **os.environ,
        "APP_ENV": "test",
        "DATABASE_URL": s.database_url,
        "DATABASE_OWNER_URL": s.database_owner_url,
        "REDIS_URL": s.redis_url,
        "SMTP_URL": smtp_server.url,
        "LOG_LEVEL": "WARNING",
        "TENANT_ID": str(tenant.id),
        "MARKER": str(marker),
        "PYTHONPATH": str(ROOT),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.messaging.crash_worker"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_for(marker, proc)
        assert int(marker.read_text()) == crashed_id
        assert [m["to"] for m in smtp_server.messages] == [["first@example.com"]]
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL

    with tenant_context(ref(tenant)):
        row = outbox_row(crashed_id)
        assert row.status == "sending" and row.attempts == 1
        # while the dead worker's lease runs, nobody touches the row; other rows go out
        now = utcnow()
        report = deliver_due(now=now)
        assert report.sent == 1 and outbox_row(other_id).status == "sent"
        assert outbox_row(crashed_id).status == "sending"
        lease_until = row.lease_until
        assert lease_until == row.next_attempt_at
        assert deliver_due(now=lease_until - timedelta(seconds=1)).dead == 0
        assert outbox_row(crashed_id).status == "sending"
        # once the lease has expired the row is in doubt: dead letter, not a second e-mail
        report = deliver_due(now=lease_until)
        assert report.dead == 1 and report.sent == 0
        row = outbox_row(crashed_id)
        assert row.status == "dead" and row.last_error.startswith("outcome_unknown")
        assert dlq_count(str(tenant.id), "email") == 1
        assert deliver_due(now=now + timedelta(days=1)).sent == 0

    recipients = [m["to"][0] for m in smtp_server.messages]
    assert recipients.count("first@example.com") == 1
    assert recipients.count("second@example.com") == 1


class _Crash(Exception):
    pass


def test_interrupted_webhook_is_retried_with_the_same_delivery_id(
    tenant, make_runtime, webhook_target
):
    from shared import db
    from shared.runtime import use_runtime
    from tenantapp.settings.models import TenantSettings

    rt = make_runtime(export_allow_http=True, export_unsafe_allow_targets=[webhook_target.hostport])
    with use_runtime(rt), tenant_context(ref(tenant)):
        with db.transaction() as tx:
            settings = tx.get(TenantSettings, 1)
            settings.export_mode = "webhook"
            settings.export_target_url = webhook_target.url()
            message_id = enqueue_lead_export(tx, "lead-42", {"id": "lead-42", "name": "Bo"})

        def crash(message):
            raise _Crash

        with pytest.raises(_Crash):
            deliver_due(after_send=crash)
        assert outbox_row(message_id).status == "sending"
        report = deliver_due(now=utcnow() + timedelta(seconds=DEFAULT_LEASE_SECONDS + 1))
        assert report.sent == 1
        row = outbox_row(message_id)
        assert row.status == "sent" and row.attempts == 2
    ids = [r["headers"][DELIVERY_HEADER] for r in webhook_target.requests]
    assert ids == ["export:lead:lead-42", "export:lead:lead-42"]
