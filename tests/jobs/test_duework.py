"""The due-work index: signals after commit, dispatch only of due entries, runs, parking."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from jobs import dispatch, duework, queues
from jobs.dispatch import dispatch_due, run_due_work
from jobs.fanout import idempotency_key
from tests.jobs.duework_support import add_tomb, due_jobs, tomb_count
from tests.jobs.helpers import suspend


def test_a_signal_keeps_the_earliest_due_time(redis):
    tid = uuid.uuid4()
    duework.signal(redis, tid, "janitor", 2000)
    duework.signal(redis, tid, "janitor", 3000)
    assert duework.entries(redis) == {("janitor", str(tid)): 2000.0}
    duework.signal(redis, tid, "janitor", 1000)
    assert duework.entries(redis) == {("janitor", str(tid)): 1000.0}


def test_unknown_kinds_are_refused(redis):
    with pytest.raises(duework.UnknownKind):
        duework.signal(redis, uuid.uuid4(), "polling", 1)


def test_only_due_entries_are_dispatched(redis):
    due, later = uuid.uuid4(), uuid.uuid4()
    now = time.time()
    duework.signal(redis, due, "janitor", now - 1)
    duework.signal(redis, later, "janitor", now + 60)
    assert dispatch_due(redis, now)["enqueued"] == 1
    [job] = due_jobs(redis)
    assert job.args == (str(due), "janitor", ()) and job.meta["tenant_id"] == str(due)
    assert duework.entries(redis) == {("janitor", str(later)): pytest.approx(now + 60)}
    assert dispatch_due(redis, now)["enqueued"] == 0


def test_one_job_per_tenant_on_the_queue_of_its_most_urgent_kind(redis):
    mail_and_deposit, deposit_only = uuid.uuid4(), uuid.uuid4()
    duework.signal(redis, mail_and_deposit, "deposits", 1)
    duework.signal(redis, mail_and_deposit, "outbox", 1)
    duework.signal(redis, deposit_only, "deposits", 1)
    assert dispatch_due(redis, time.time())["enqueued"] == 3  # entries
    [email] = due_jobs(redis, queues.EMAIL)
    assert email.args == (str(mail_and_deposit), "outbox", ("deposits",))
    [maintenance] = due_jobs(redis, queues.MAINTENANCE)
    assert maintenance.args == (str(deposit_only), "deposits", ())


def test_an_idle_index_dispatches_nothing(redis):
    assert dispatch_due(redis) == {"enqueued": 0, "deferred": 0, "dropped": 0}
    assert due_jobs(redis) == []


def test_two_schedulers_never_run_a_tenants_period_twice(redis):
    tenants = [uuid.uuid4() for _ in range(300)]
    now = time.time()
    for tid in tenants:
        duework.signal(redis, tid, "janitor", now - 5)
    results = []
    barrier = threading.Barrier(2)

    def scheduler():
        barrier.wait()
        results.append(dispatch_due(redis, now, limit=50))

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r["enqueued"] for r in results) == len(tenants)
    assert sorted(j.args[0] for j in due_jobs(redis)) == sorted(str(t) for t in tenants)


def test_a_period_already_run_is_deferred_not_run_again(redis):
    tid = uuid.uuid4()
    now = time.time()
    period = str(int(now) // dispatch.PERIOD_SECONDS * dispatch.PERIOD_SECONDS)
    redis.set(idempotency_key("due-janitor", str(tid), period), "1")  # the other scheduler's
    duework.signal(redis, tid, "janitor", now - 1)
    assert dispatch_due(redis, now) == {"enqueued": 0, "deferred": 1, "dropped": 0}
    assert due_jobs(redis) == []
    [(key, due)] = duework.entries(redis).items()
    assert key == ("janitor", str(tid)) and due == pytest.approx(now + dispatch.DEFER_SECONDS)
    assert dispatch_due(redis, due)["enqueued"] == 1  # the next period runs it


def test_a_waiting_job_absorbs_new_signals(redis):
    tid = uuid.uuid4()
    now = time.time()
    duework.signal(redis, tid, "janitor", now - 1)
    assert dispatch_due(redis, now)["enqueued"] == 1
    duework.signal(redis, tid, "janitor", now)  # more work while the job waits
    assert dispatch_due(redis, now + 1) == {"enqueued": 0, "deferred": 1, "dropped": 0}
    assert len(due_jobs(redis)) == 1
    # once the job started (its marker is gone) the deferred entry becomes a job
    redis.delete(duework.queued_key("janitor", tid))
    assert dispatch_due(redis, now + 1 + dispatch.DEFER_SECONDS)["enqueued"] == 1


def test_malformed_entries_are_dropped(redis):
    redis.zadd(duework.INDEX_KEY, {"janitor:not-a-uuid": 1, f"nope:{uuid.uuid4()}": 1})
    assert dispatch_due(redis)["dropped"] == 2
    assert duework.entries(redis) == {}


def test_work_committed_then_run_records_nothing_more(rt, tenant):
    add_tomb(rt, tenant.id)
    [(key, due)] = duework.entries(rt.redis).items()
    assert key == ("janitor", tenant.id)
    assert due > time.time() + 30  # the delete is tried right after commit; the janitor at +1 min
    dispatch_due(rt.redis, due)
    [job] = due_jobs(rt.redis)
    result = run_due_work(*job.args)
    assert result["deleted"] == 1 and result["next_due"] is None
    assert tomb_count(rt, tenant.id) == 0
    assert duework.entries(rt.redis) == {}  # an idle tenant again: nothing left to poll


def test_a_rolled_back_transaction_leaves_no_entry(rt, tenant):
    with pytest.raises(RuntimeError):
        add_tomb(rt, tenant.id, fail=True)
    assert duework.entries(rt.redis) == {}
    assert tomb_count(rt, tenant.id) == 0


def test_a_run_records_the_next_due_time_of_remaining_work(rt, tenant):
    from sqlalchemy import update

    from shared import db
    from shared.tenancy import tenant_context
    from tenantapp.photos.models import StorageTombstone

    add_tomb(rt, tenant.id, signal=False)
    later = datetime.now(UTC) + timedelta(hours=1)
    with tenant_context(rt.tenants.by_id(uuid.UUID(tenant.id))):
        with db.transaction() as tx:
            tx.execute(update(StorageTombstone).values(next_attempt_at=later))
        db.close_session()
    result = run_due_work(tenant.id, "janitor")
    assert result["deleted"] == 0
    assert duework.entries(rt.redis) == {
        ("janitor", tenant.id): pytest.approx(later.timestamp(), abs=0.01)
    }


def test_a_failed_run_comes_back_later(rt, tenant, monkeypatch):
    import jobs.kinds

    def broken():
        raise RuntimeError("storage client bug")

    monkeypatch.setattr(jobs.kinds, "run_janitor", broken)
    before = time.time()
    with pytest.raises(RuntimeError):
        run_due_work(tenant.id, "janitor")
    [due] = duework.entries(rt.redis).values()
    assert due >= before + dispatch.RETRY_SECONDS


def test_a_suspended_tenants_work_waits_and_runs_on_resume(
    rt, client, operator_headers, tenant, other_tenant
):
    add_tomb(rt, tenant.id)
    add_tomb(rt, other_tenant.id)
    suspend(client, operator_headers, tenant.id)
    far = time.time() + 120
    assert dispatch_due(rt.redis, far)["enqueued"] == 2
    for job in due_jobs(rt.redis):
        rt.redis.delete(duework.queued_key(job.args[1], job.args[0]))
        run_due_work(*job.args)
    assert tomb_count(rt, tenant.id) == 1  # waited
    assert tomb_count(rt, other_tenant.id) == 0
    assert duework.entries(rt.redis) == {}  # parked: nothing is polled while suspended
    assert duework.stats(rt.redis)["parked"] == 1
    assert dispatch_due(rt.redis, far)["enqueued"] == 0

    resp = client.post(
        f"/v1/ops/tenants/{tenant.id}/resume", json={"reason": "paid"}, headers=operator_headers
    )
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert duework.stats(rt.redis)["parked"] == 0
    dispatch_due(rt.redis, far)
    [job] = [j for j in due_jobs(rt.redis) if j.args[0] == tenant.id]
    assert run_due_work(*job.args)["deleted"] == 1
    assert tomb_count(rt, tenant.id) == 0


def test_stats_show_size_and_oldest_due_entry(redis):
    now = time.time()
    assert duework.stats(redis, now)["oldest_due_age_seconds"] == 0
    duework.signal(redis, uuid.uuid4(), "outbox", now - 400)
    duework.signal(redis, uuid.uuid4(), "janitor", now + 400)
    stats = duework.stats(redis, now)
    assert stats["size"] == 2 and stats["due_now"] == 1
    assert stats["oldest_due_age_seconds"] == pytest.approx(400, abs=0.01)


def test_every_kind_runs_in_a_real_worker(client, rt, tenant, run_worker):
    """A fresh worker process runs each kind, with work to do (a flush needs every mapper)."""
    from rq.job import JobStatus
    from sqlalchemy import update

    from shared import db
    from shared.tenancy import tenant_context
    from tenantapp.bookings.models import Booking
    from tests.bookings.conftest import at, book, make_lead, monday

    lead = make_lead(client, tenant)
    b = book(client, tenant, lead["lead_id"], at(monday(), "09:00")).get_json()
    with tenant_context(rt.tenants.by_id(uuid.UUID(tenant.id))):
        with db.transaction() as tx:  # an unpaid deposit long past its hold
            tx.execute(
                update(Booking)
                .where(Booking.id == b["id"])
                .values(
                    status="PENDING",
                    deposit_status="pending",
                    created_at=datetime.now(UTC) - timedelta(days=1),
                )
            )
        db.close_session()
    rt.redis.delete(*[duework.queued_key(k.name, tenant.id) for k in duework.KINDS])
    for name in (queues.EMAIL, queues.DEFAULT, queues.MAINTENANCE):
        queues.queue(name, rt.redis).empty()
    jobs = []
    for kind in duework.KINDS:
        assert dispatch.run_now(rt.redis, tenant.id, kind.name)
        jobs += [j for j in due_jobs(rt.redis, kind.queue) if j.args[1] == kind.name]
    assert len(jobs) == len(duework.KINDS)
    run_worker(queues.EMAIL, queues.DEFAULT, queues.MAINTENANCE)
    for job in jobs:
        assert job.get_status(refresh=True) == JobStatus.FINISHED, job.args
        assert job.return_value()["kind"] == job.args[1]
    with tenant_context(rt.tenants.by_id(uuid.UUID(tenant.id))):
        assert db.session().get(Booking, b["id"]).status == "CANCELLED"
        db.close_session()
