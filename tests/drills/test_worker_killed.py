"""Drill: a real ``python -m jobs.worker`` SIGKILLed in the middle of an e-mail delivery job.

The worker dies while the SMTP server is still taking the DATA (so the server never accepts the
message). Re-runs of the job leave the leased row alone; once the lease has run out the row is
in doubt and goes to the dead letters (outbox design: never guess a resend); a person replays it
and exactly one e-mail arrives, however many more runs follow."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import update

from jobs import queues
from shared import db
from shared.outbox.delivery import utcnow
from shared.runtime import Runtime, use_runtime
from shared.tenancy import tenant_context
from tenantapp.outbox.delivery import deliver_tenant_outbox
from tenantapp.outbox.models import OutboxMessage
from tests.drills.support import ROOT, run_burst_worker, worker_env
from tests.messaging.conftest import SmtpServer, _Collector
from tests.messaging.support import dlq_count, outbox_row, queue_email
from tests.support import ApiClient

pytestmark = pytest.mark.slow


class StallingCollector(_Collector):
    """Holds the first DATA until released; with ``drop`` set it then refuses it (its client was
    killed meanwhile, so the server never accepted that message)."""

    def __init__(self):
        super().__init__()
        self.stalled = threading.Event()
        self.release = threading.Event()
        self.drop = False

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's hook name
        if not self.release.is_set():
            self.stalled.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
            if self.drop:
                return "451 client went away"
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture()
def stalling_smtp():
    server = SmtpServer()
    server.collector = StallingCollector()
    server.start()
    yield server
    server.collector.release.set()
    server.stop()


def _descendants(pid: int) -> list[int]:
    """Child processes of ``pid`` (rq's work horse calls setsid, so no process-group kill)."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = open(f"/proc/{entry}/stat").read()  # noqa: SIM115
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _deliver_with_real_worker(rt, tenant_id, env):
    deliver_tenant_outbox.enqueue(rt, tenant_id)
    run_burst_worker(env, queues.EMAIL)


def test_worker_sigkilled_mid_delivery_sends_exactly_one_email(
    settings, migrated, wsgi_app, tenant, stalling_smtp
):
    rt = Runtime(settings.replace(smtp_url=stalling_smtp.url, mail_timeout_seconds=30.0))
    env = worker_env(rt.settings, SMTP_URL=stalling_smtp.url, MAIL_TIMEOUT_SECONDS="30")
    try:
        with use_runtime(rt):
            ref = rt.tenants.by_id(tenant.id)
            with tenant_context(ref):
                message_id = queue_email(key=f"drill-{uuid.uuid4().hex[:8]}", to="kill@example.com")

            # Only this drill's job on the queue: jobs other tests left there would reach the
            # stalling server first, and the killed worker would hold another message.
            queues.queue(queues.EMAIL, rt).empty()
            deliver_tenant_outbox.enqueue(rt, tenant.id)
            proc = subprocess.Popen(
                [sys.executable, "-m", "jobs.worker", "--burst", queues.EMAIL],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            try:
                assert stalling_smtp.collector.stalled.wait(60), "the worker never reached SMTP"
                for pid in [*_descendants(proc.pid), proc.pid]:  # horse and worker: a node crash
                    os.kill(pid, signal.SIGKILL)
                proc.wait(timeout=10)
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
            assert proc.returncode == -signal.SIGKILL
            stalling_smtp.collector.drop = True
            stalling_smtp.collector.release.set()
            time.sleep(0.3)
            assert stalling_smtp.messages == []

            with tenant_context(ref):
                row = outbox_row(message_id)
                assert row.status == "sending" and row.attempts == 1

            # the job runs again: the dead worker's lease still holds, nothing is sent
            _deliver_with_real_worker(rt, tenant.id, env)
            with tenant_context(ref):
                assert outbox_row(message_id).status == "sending"
            assert stalling_smtp.messages == []

            # the lease runs out (moved into the past rather than waiting 5 minutes)
            with tenant_context(ref), db.transaction() as tx:
                past = utcnow() - timedelta(seconds=1)
                tx.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id == message_id)
                    .values(lease_until=past, next_attempt_at=past)
                )
            _deliver_with_real_worker(rt, tenant.id, env)
            with tenant_context(ref):
                row = outbox_row(message_id)
                assert row.status == "dead" and row.last_error.startswith("outcome_unknown")
                assert dlq_count(str(tenant.id), "email") == 1
            assert stalling_smtp.messages == []

        # a person replays it: one e-mail, and more runs do not add any
        replay = ApiClient(wsgi_app).post(
            tenant.url(f"/admin/outbox/{message_id}/replay"),
            headers={**tenant.headers, "Idempotency-Key": uuid.uuid4().hex},
        )
        assert replay.status_code == 200, replay.get_json()
        with use_runtime(rt):
            _deliver_with_real_worker(rt, tenant.id, env)
            _deliver_with_real_worker(rt, tenant.id, env)
            with tenant_context(ref):
                assert outbox_row(message_id).status == "sent"
        assert [m["to"] for m in stalling_smtp.messages] == [["kill@example.com"]]
    finally:
        rt.dispose()
