"""Migrations (runs, failures, start), jobs and the due-work index, dead letters with replay."""

import uuid
from datetime import UTC, datetime

from sqlalchemy import select

from controlplane.fleet.locks import acquire_run_lock
from controlplane.fleet.models import FleetRun
from controlplane.fleet.service import wait_for_background_runs
from controlplane.mail.models import PlatformOutboxMessage
from controlplane.ops_console.models import OpsAuditEntry
from jobs import duework
from shared import db
from shared.outbox import dlq
from shared.outbox.dlq import DlqEntry
from shared.tenancy import tenant_context
from tenantapp.outbox.models import OutboxMessage


def test_migrations_page_lists_revisions_and_starts_a_run(ops, tenant, rt):
    html = ops.get("/ops/migrations").get_data(as_text=True)
    assert rt.tenants.by_id(tenant.id).schema_revision in html and "Failures per tenant" in html
    resp = ops.post_form(
        "/ops/migrations/run", "/ops/migrations/run", {"tenant": tenant.slug, "parallel": "1"}
    )
    assert resp.status_code == 303 and "started=" in resp.headers["Location"]
    run_id = uuid.UUID(resp.headers["Location"].split("started=")[1])
    wait_for_background_runs(timeout=60)
    run = db.session().get(FleetRun, run_id)
    assert (run.status, run.trigger, run.tenant_slug) == ("succeeded", "operator:ops", tenant.slug)
    entry = (
        db.session()
        .scalars(select(OpsAuditEntry).where(OpsAuditEntry.action == "fleet.migrate"))
        .all()[-1]
    )
    assert entry.detail["run_id"] == str(run_id) and entry.operator == "ops"
    assert str(run_id) in ops.get(resp.headers["Location"]).get_data(as_text=True)


def test_a_second_run_while_one_holds_the_lock_is_409_on_the_form(ops, tenant, rt):
    lock = acquire_run_lock(rt)
    try:
        resp = ops.post_form("/ops/migrations/run", "/ops/migrations/run", {"tenant": tenant.slug})
    finally:
        lock.release()
    assert resp.status_code == 409
    assert 'role="alert"' in resp.get_data(as_text=True)


def test_bad_run_inputs_are_shown_on_the_form(ops):
    bad = ops.post_form("/ops/migrations/run", "/ops/migrations/run", {"parallel": "9"})
    assert bad.status_code == 422 and "1 to 8" in bad.get_data(as_text=True)
    unknown = ops.post_form("/ops/migrations/run", "/ops/migrations/run", {"tenant": "nobody-x"})
    assert unknown.status_code == 404 and 'role="alert"' in unknown.get_data(as_text=True)


def test_jobs_page_shows_queues_heartbeats_and_the_oldest_due_entry(ops, tenant, rt):
    duework.signal(rt.redis, tenant.id, "outbox", datetime(2020, 1, 1, tzinfo=UTC).timestamp())
    try:
        html = ops.get("/ops/jobs").get_data(as_text=True)
    finally:
        duework.forget_tenant(rt.redis, tenant.id)
    for queue in ("provisioning", "email", "default", "export", "maintenance"):
        assert f">{queue}<" in html
    assert "Scheduler" in html and "Oldest due entry" in html
    assert "s overdue" in html  # the entry due in 2020


def _dead_platform_mail(rt) -> int:
    with db.transaction() as tx:
        row = PlatformOutboxMessage(
            dedupe_key=f"test:{uuid.uuid4()}",
            kind="email",
            topic="test",
            recipient="someone@example.com",
            status="dead",
            attempts=5,
            dead_at=datetime.now(UTC),
        )
        tx.add(row)
        tx.flush()
        dlq.refresh(tx, PlatformOutboxMessage, None)
        return row.id


def test_platform_dead_letters_are_listed_and_replayed(ops, rt):
    message_id = _dead_platform_mail(rt)
    html = ops.get("/ops/dlq").get_data(as_text=True)
    assert "platform" in html and "/ops/dlq/replay?scope=platform&amp;kind=email" in html
    resp = ops.post_form(
        "/ops/dlq/replay?scope=platform&kind=email",
        "/ops/dlq/replay",
        {"scope": "platform", "kind": "email"},
    )
    assert resp.status_code == 303
    db.close_session()
    row = db.session().get(PlatformOutboxMessage, message_id)
    assert (row.status, row.attempts, row.replay_count) == ("pending", 0, 1)
    index = db.session().get(DlqEntry, ("platform", "email"))
    assert index.dead_count == 0
    with db.transaction() as tx:  # leave no pending test mail for the delivery tests
        tx.delete(tx.get(PlatformOutboxMessage, message_id))


def test_a_tenants_dead_letters_are_replayed_in_its_schema_and_audited(ops, tenant, rt):
    ref = rt.tenants.by_id(tenant.id)
    with tenant_context(ref), db.transaction() as tx:
        tx.add(
            OutboxMessage(
                dedupe_key=f"test:{uuid.uuid4()}",
                kind="webhook",
                topic="lead.created",
                status="dead",
                attempts=5,
                dead_at=datetime.now(UTC),
            )
        )
        tx.flush()
        dlq.refresh(tx, OutboxMessage, ref.id)
    html = ops.get("/ops/dlq").get_data(as_text=True)
    assert tenant.slug in html
    confirm = ops.get(f"/ops/dlq/replay?scope={tenant.id}&kind=webhook")
    assert confirm.status_code == 200 and tenant.slug in confirm.get_data(as_text=True)
    resp = ops.post_form(
        f"/ops/dlq/replay?scope={tenant.id}&kind=webhook",
        "/ops/dlq/replay",
        {"scope": tenant.id, "kind": "webhook"},
    )
    assert resp.status_code == 303
    assert (
        "1%20webhook%20replayed" in resp.headers["Location"]
        or "1+webhook" in resp.headers["Location"]
    )
    with tenant_context(ref):
        statuses = db.session().scalars(select(OutboxMessage.status)).all()
    assert "dead" not in statuses and "pending" in statuses
    db.close_session()
    assert db.session().get(DlqEntry, (str(ref.id), "webhook")).dead_count == 0
    entry = (
        db.session().scalars(select(OpsAuditEntry).where(OpsAuditEntry.tenant_id == ref.id)).one()
    )
    assert (entry.action, entry.detail["replayed"], entry.detail["kind"]) == (
        "dlq.replay",
        1,
        "webhook",
    )
    duework.forget_tenant(rt.redis, ref.id)


def test_replay_of_an_unknown_scope_or_kind_is_refused(ops, tenant, rt):
    assert ops.get("/ops/dlq/replay?scope=nope&kind=email").status_code == 404
    assert ops.get(f"/ops/dlq/replay?scope={uuid.uuid4()}&kind=email").status_code == 404
    bad_kind = ops.post_form(
        f"/ops/dlq/replay?scope={tenant.id}&kind=email",
        "/ops/dlq/replay",
        {"scope": tenant.id, "kind": "pigeon"},
    )
    assert bad_kind.status_code == 422
